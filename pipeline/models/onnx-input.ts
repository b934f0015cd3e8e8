import onnxProto from 'onnx-proto';
import { GeoscoutError } from '../../core/errors.js';

const { onnx } = onnxProto;
const { FLOAT, UINT8 } = onnx.TensorProto.DataType;

/**
 * An ONNX model whose image input `name` (float, NCHW, [N, 3, H, W]) takes 8-bit interleaved
 * pixels instead ([N, H, W, 3] uint8): a Transpose and a Cast in front of the graph feed the
 * original input, so the outputs are exactly the same for the same pixels.
 *
 * Why: building the planar float input in JS (a strided 8-bit → float copy) took 6–7 ms per
 * 768² objectness tile, a quarter of the model's own 26 ms on 2 cores, on the main thread
 * while onnxruntime's threads want both cores; a row-by-row copy of 8-bit pixels takes well
 * under 1 ms, and onnxruntime transposes and casts in about 1 ms. Done on the model's bytes at
 * load (rather than in the exported file) so every objectness model, shipped or retrained
 * before this existed, runs the same way, and the training package's files stay as exported.
 *
 * @throws GeoscoutError CORRUPT_DATA when the bytes are no ONNX model, INVALID_INPUT when it
 *   has no such input or the input is not a float [N, 3, H, W] tensor
 */
export function withUint8HwcInput(bytes: Uint8Array, name: string, file: string): Uint8Array {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new GeoscoutError('CORRUPT_DATA', `Cannot read ONNX model ${file}: ${(cause as Error).message}. Restore the file or export the model again.`, { cause, details: { path: file } });
  }
  const graph = model.graph;
  const inputs = graph?.input ?? [];
  const input = inputs.find((i) => i.name === name);
  const tensor = input?.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  if (!graph || !input || tensor?.elemType !== FLOAT || dims.length !== 4 || Number(dims[1]?.dimValue) !== 3) {
    throw new GeoscoutError('INVALID_INPUT', `ONNX model ${file} has no float [N, 3, H, W] input named "${name}" (inputs: ${inputs.map((i) => i.name).join(', ') || 'none'}). Check input.name in the model's manifest, or export the model again.`, { details: { path: file } });
  }
  const planar = `${name}/float_nchw`, bytesNchw = `${name}/uint8_nchw`;
  const nodes = (graph.node ?? []).map((node) => ({ ...node, input: (node.input ?? []).map((i) => (i === name ? planar : i)) }));
  // The new input keeps the original's batch, height and width (named or fixed), channels last.
  const [n, , h, w] = dims;
  const hwc = { name, type: { tensorType: { elemType: UINT8, shape: { dim: [n!, h!, w!, { dimValue: 3 }] } } } };
  graph.input = inputs.map((i) => (i === input ? hwc : i));
  graph.node = [
    { name: `${name}/to_nchw`, opType: 'Transpose', input: [name], output: [bytesNchw], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 3, 1, 2] }] },
    { name: `${name}/to_float`, opType: 'Cast', input: [bytesNchw], output: [planar], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
    ...nodes,
  ];
  return onnx.ModelProto.encode(model).finish();
}
