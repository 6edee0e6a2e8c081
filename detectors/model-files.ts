/**
 * A TF.js graph model on disk: model.json and its weight shards, read once for whichever runtime
 * loads it (TF.js's loadGraphModel, or the ONNX converter). Local files only: nothing is fetched.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { describeError, HubError } from '../hub/api/errors.js';

export interface AttrValue {
  s?: string;
  i?: string;
  f?: number;
  b?: boolean;
  list?: { i?: string[]; s?: string[] };
  shape?: { dim?: Array<{ size?: string }> };
}

export interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

export interface GraphModelFiles {
  modelTopology: { node: GraphNode[] };
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
}

export async function readGraphModelFiles(modelPath: string): Promise<GraphModelFiles> {
  let json: {
    modelTopology?: { node?: GraphNode[] };
    weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
    signature?: object;
  };
  try {
    json = JSON.parse(await readFile(modelPath, 'utf8')) as typeof json;
  } catch (err) {
    throw new HubError('HUB_ERR_DETECTOR', `cannot read model ${modelPath}: ${describeError(err)}`, { cause: err });
  }
  if (!json.modelTopology || !Array.isArray(json.modelTopology.node) || !Array.isArray(json.weightsManifest)) {
    throw new HubError('HUB_ERR_DETECTOR', `${modelPath} is not a TF.js graph model (no modelTopology / weightsManifest)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(await readFile(join(dirname(modelPath), p)));
  }
  const all = Buffer.concat(shards);
  const files: GraphModelFiles = {
    modelTopology: { ...json.modelTopology, node: json.modelTopology.node },
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
  };
  if (json.format) files.format = json.format;
  if (json.generatedBy) files.generatedBy = json.generatedBy;
  if (json.convertedBy) files.convertedBy = json.convertedBy;
  if (json.signature) files.signature = json.signature;
  return files;
}
