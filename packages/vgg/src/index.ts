/**
 * @se/vgg: VGG-16 (BN) and SE-VGG-16 for TensorFlow.js.
 *
 * The models of this family are not built yet (see the project's issue 10); the package builds and
 * publishes so that its place in the workspace and its dependency on @se/core are fixed.
 *
 * @packageDocumentation
 */

/** The family this package registers its models under. */
export const FAMILY = 'vgg';

export * from './cnn.js';
