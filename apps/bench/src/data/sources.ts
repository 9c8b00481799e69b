import { loadCifar } from './cifar.js';
import { checkNotEmpty, type Dataset } from './dataset.js';
import { DEBIAN_FASHION_MNIST, loadIdxDataset } from './idx.js';
import { syntheticDataset } from './synthetic.js';

/** Datasets the CLI knows. */
export const DATASETS = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
/** A dataset name of {@link DATASETS}. */
export type DatasetName = (typeof DATASETS)[number];

async function load(name: string, dir?: string): Promise<Dataset> {
  switch (name) {
    case 'fashion-mnist':
      return loadIdxDataset(dir ?? DEBIAN_FASHION_MNIST, 'fashion-mnist');
    case 'mnist':
    case 'cifar10':
    case 'cifar100':
      if (!dir)
        throw new Error(
          `--data-dir is required for ${name} (the directory holding its standard files)`,
        );
      return name === 'mnist' ? loadIdxDataset(dir, 'mnist') : loadCifar(dir, name);
    case 'synthetic':
      return syntheticDataset({ classes: 4, trainCount: 256, testCount: 128, size: 16, seed: 1 });
    default:
      throw new Error(`--dataset: unknown dataset '${name}'; choose one of ${DATASETS.join(', ')}`);
  }
}

/**
 * Loads a dataset by name; `dir` overrides where its files are. A dataset without training or
 * test images is an error naming where it was read from.
 */
export async function loadDataset(name: string, dir?: string): Promise<Dataset> {
  const dataset = await load(name, dir);
  checkNotEmpty(dataset);
  return dataset;
}
