/** What the terminal shows while runs train: a progress bar per epoch and a line per event. */
import cliProgress from 'cli-progress';
import type { EpochMetrics } from '../train/run.js';
import type { StepProgress } from '../train/trainer.js';

/** Progress events of a set of runs. */
export interface RunEvents {
  onRunStart?: (id: string, index: number, total: number) => void;
  onStep?: (id: string, progress: StepProgress) => void;
  onEpoch?: (id: string, metrics: EpochMetrics) => void;
  onRunFailed?: (failure: { id: string; error: string }) => void;
  onNotice?: (id: string, message: string) => void;
}

/** Seconds as `1m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The time left in an epoch from its steps so far; unknown (`—`) until two steps are done, since
 * the first step of a run includes one-off set-up.
 */
export function epochEta(p: Pick<StepProgress, 'step' | 'steps' | 'seconds'>): string {
  if (p.step < 2) return '—';
  return formatDuration((p.seconds / p.step) * (p.steps - p.step));
}

/** A progress bar per run and epoch on stderr (nothing when stderr is not a terminal). */
export function progressBar(): { update: (id: string, p: StepProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format:
        '{id} |{bar}| epoch {epoch}/{epochs} step {value}/{total} loss {loss} acc {acc} {ips} img/s ETA {left}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = '';
  return {
    update(id: string, p: StepProgress) {
      const payload = {
        id,
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(3),
        acc: (100 * p.accuracy).toFixed(1),
        ips: p.imagesPerSecond.toFixed(0),
        left: epochEta(p),
      };
      if (current !== `${id}/${p.epoch}`) {
        bar.stop();
        bar.start(p.steps, p.step, payload);
        current = `${id}/${p.epoch}`;
      } else {
        bar.update(p.step, payload);
      }
    },
    stop: () => {
      bar.stop();
      current = '';
    },
  };
}

/** One line per finished epoch, as the terminal prints it. */
export function formatEpochLine(m: EpochMetrics): string {
  return `epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(4)}, test accuracy ${(100 * m.testAccuracy).toFixed(2)} %, ${m.imagesPerSecond.toFixed(1)} img/s`;
}

/** Progress of runs on the terminal: a bar per epoch, a line per finished epoch or failure. */
export function consoleEvents(log: (line: string) => void): {
  events: RunEvents;
  stop: () => void;
} {
  const bar = progressBar();
  return {
    events: {
      onStep: (id, p) => bar.update(id, p),
      onEpoch: (id, m) => {
        bar.stop();
        log(`${id} ${formatEpochLine(m)}`);
      },
      onRunFailed: (f) => {
        bar.stop();
        log(`FAILED ${f.id}: ${f.error}`);
      },
      onNotice: (id, message) => {
        bar.stop();
        log(`${id}: ${message}`);
      },
    },
    stop: () => bar.stop(),
  };
}
