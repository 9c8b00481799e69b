import { syntheticDataset } from '../data/batches.js';
import { loadCifar } from '../data/cifar.js';
import type { Dataset } from '../data/dataset.js';
import { DEBIAN_FASHION_MNIST, loadIdxDataset } from '../data/idx.js';

/** Datasets the CLI knows. */
export const DATASETS = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
/** A dataset name of {@link DATASETS}. */
export type DatasetName = (typeof DATASETS)[number];

/** Loads a dataset by name; `dir` overrides where its files are. */
export async function loadDataset(name: string, dir?: string): Promise<Dataset> {
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
      throw new Error(`unknown dataset '${name}'; choose one of ${DATASETS.join(', ')}`);
  }
}
