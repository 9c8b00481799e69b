/**
 * @se/shufflenet: ShuffleNet v1 and SE-ShuffleNet for TensorFlow.js — every group count
 * (1/2/3/4/8) of the ShuffleNet paper's Table 1 at widths 0.5×/1×/2×, with the parameter counts
 * and module paths of the official megvii implementation, and their SE twins of the SE paper's
 * Table 3. Importing the package registers every model with @se/core's registry.
 *
 * @packageDocumentation
 */

export * from './shufflenet.js';
