/**
 * The few protobuf wire-format pieces an ONNX ModelProto needs (varints, length-delimited fields,
 * fixed 32-bit floats, packed repeated ints), so a model can be built in memory without a
 * protobuf library. Field numbers are the ones in onnx.proto (see tfjs-to-onnx.ts).
 */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  private varint(value: number | bigint): void {
    // Negative ints are written as their 64-bit two's complement, as protobuf's int64 requires.
    let n = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: 0 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  packedInts(field: number, values: readonly number[]): this {
    const p = new ProtoWriter();
    for (const v of values) p.varint(v);
    return this.bytes(field, p.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
