/**
 * @se/inception: BN-Inception, Inception-v3 and Inception-ResNet-v2, plain and with SE for TensorFlow.js.
 *
 * The models of this family are not built yet (see the project's issue 9); the package builds and
 * publishes so that its place in the workspace and its dependency on @se/core are fixed.
 *
 * @packageDocumentation
 */

/** The family this package registers its models under. */
export const FAMILY = 'inception';
