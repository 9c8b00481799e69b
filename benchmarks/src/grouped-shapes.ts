// The grouped 3×3 convolutions of SE-ResNeXt-50 32×4d (timm layout: the stride is on this layer),
// shared by the CPU grouped-convolution benchmark (grouped-conv.ts) and the GPU one (gpu-run.ts).

/** One grouped layer: its input side, channels (in = out) and stride. */
export interface GroupedShape {
  layer: string;
  size: number;
  channels: number;
  stride: number;
}

/** Every distinct grouped layer of SE-ResNeXt-50 at 224². */
export const GROUPED_SHAPES: GroupedShape[] = [
  { layer: 'layer1.*.conv2', size: 56, channels: 128, stride: 1 },
  { layer: 'layer2.0.conv2', size: 56, channels: 256, stride: 2 },
  { layer: 'layer2.*.conv2', size: 28, channels: 256, stride: 1 },
  { layer: 'layer3.0.conv2', size: 28, channels: 512, stride: 2 },
  { layer: 'layer3.*.conv2', size: 14, channels: 512, stride: 1 },
  { layer: 'layer4.0.conv2', size: 14, channels: 1024, stride: 2 },
  { layer: 'layer4.*.conv2', size: 7, channels: 1024, stride: 1 },
];

/** SE-ResNeXt-50's cardinality. */
export const GROUPS = 32;

/**
 * The input and padding of a grouped layer as @se/core's conv2d builds it (PyTorch's padding 1):
 * `'same'` at stride 1; at stride 2 an input pre-padded by one on each side and `'valid'`.
 */
export function groupedLayerInput(shape: GroupedShape): {
  inSize: number;
  padding: 'same' | 'valid';
} {
  return shape.stride === 1
    ? { inSize: shape.size, padding: 'same' }
    : { inSize: shape.size + 2, padding: 'valid' };
}
