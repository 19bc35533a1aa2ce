/**
 * Classification metrics on plain arrays: accuracy, balanced accuracy, macro F1, ROC AUC (with ties), and the
 * confusion matrix. They follow scikit-learn's definitions so numbers can be compared with Python results.
 */

/** How the labels of a task are shaped and scored. */
export type TaskKind = 'binary' | 'multiclass' | 'multilabel';

/** Everything `evaluate` returns. AUC is NaN where it is undefined (a class with no positives or no negatives). */
export interface Metrics {
  accuracy: number;
  balanced_accuracy: number;
  f1: number;
  auc: number;
  /** `confusion[t][p]`: samples of true class t predicted as p (binary/multiclass); per label 2x2 for multilabel. */
  confusion: number[][];
  n: number;
}

/** Fraction of predictions equal to the truth. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkSameLength(yTrue, yPred);
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return yTrue.length ? hit / yTrue.length : NaN;
}

/** `numClasses x numClasses` counts, rows = truth, columns = prediction. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkSameLength(yTrue, yPred);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i];
    const p = yPred[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses && Number.isInteger(t) && Number.isInteger(p))) {
      throw new Error(`confusionMatrix: label ${t} or prediction ${p} at index ${i} is not a class in 0..${numClasses - 1}.`);
    }
    m[t][p]++;
  }
  return m;
}

/** Mean recall over the classes present in the truth (scikit-learn's `balanced_accuracy_score`). */
export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const m = confusionMatrix(yTrue, yPred, numClasses);
  const recalls: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const support = m[c].reduce((a, b) => a + b, 0);
    if (support > 0) recalls.push(m[c][c] / support);
  }
  return recalls.length ? mean(recalls) : NaN;
}

/**
 * Macro F1 over the classes that appear in the truth or the predictions (scikit-learn's `f1_score(average=
 * 'macro')`); a class with no true positives scores 0.
 */
export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const m = confusionMatrix(yTrue, yPred, numClasses);
  const f1s: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tp = m[c][c];
    const support = m[c].reduce((a, b) => a + b, 0);
    const predicted = m.reduce((a, row) => a + row[c], 0);
    if (support === 0 && predicted === 0) continue;
    f1s.push(tp === 0 ? 0 : (2 * tp) / (support + predicted));
  }
  return f1s.length ? mean(f1s) : NaN;
}

/**
 * ROC AUC of scores for a binary truth (1 = positive), by the Mann-Whitney U statistic with tied scores given
 * their average rank, which equals the area under the ROC curve with ties drawn as diagonal segments.
 * NaN when there are no positives or no negatives.
 */
export function binaryAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkSameLength(yTrue, scores);
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const avg = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) ranks[order[k]] = avg;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (scores[i] !== scores[i]) throw new Error(`binaryAuc: score at index ${i} is NaN.`);
    if (yTrue[i] === 1) {
      pos++;
      rankSum += ranks[i];
    } else if (yTrue[i] !== 0) throw new Error(`binaryAuc: label at index ${i} is ${yTrue[i]}, expected 0 or 1.`);
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * All metrics for one task.
 * - `binary`: `scores` `[N]` = probability of class 1; prediction = score >= 0.5.
 * - `multiclass`: `scores` `[N, C]` row-major probabilities; prediction = argmax; AUC = macro one-vs-rest over the
 *   classes with both positives and negatives.
 * - `multilabel`: `labels` and `scores` `[N, C]` row-major 0/1 and probabilities; accuracy, balanced accuracy and
 *   F1 are means over labels of the binary metrics; AUC = mean over labels with both outcomes.
 */
export function evaluate(task: TaskKind, labels: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number): Metrics {
  if (task === 'binary') {
    const pred = Array.from(scores, (s) => (s >= 0.5 ? 1 : 0));
    return {
      accuracy: accuracy(labels, pred),
      balanced_accuracy: balancedAccuracy(labels, pred, 2),
      f1: macroF1(labels, pred, 2),
      auc: binaryAuc(labels, scores),
      confusion: confusionMatrix(labels, pred, 2),
      n: labels.length,
    };
  }
  const n = scores.length / numClasses;
  if (!Number.isInteger(n)) throw new Error(`evaluate: ${scores.length} scores is not a multiple of ${numClasses} classes.`);
  const column = (src: ArrayLike<number>, c: number) => Array.from({ length: n }, (_, i) => src[i * numClasses + c]);
  if (task === 'multiclass') {
    if (labels.length !== n) throw new Error(`evaluate: ${labels.length} labels for ${n} score rows.`);
    const pred = Array.from({ length: n }, (_, i) => argmax(scores, i * numClasses, numClasses));
    const aucs = Array.from({ length: numClasses }, (_, c) => binaryAuc(Array.from(labels, (y) => (y === c ? 1 : 0)), column(scores, c)));
    return {
      accuracy: accuracy(labels, pred),
      balanced_accuracy: balancedAccuracy(labels, pred, numClasses),
      f1: macroF1(labels, pred, numClasses),
      auc: meanDefined(aucs),
      confusion: confusionMatrix(labels, pred, numClasses),
      n,
    };
  }
  if (labels.length !== scores.length) throw new Error(`evaluate: multilabel labels (${labels.length}) and scores (${scores.length}) differ in size.`);
  const per = Array.from({ length: numClasses }, (_, c) => evaluate('binary', column(labels, c), column(scores, c), 2));
  return {
    accuracy: mean(per.map((m) => m.accuracy)),
    balanced_accuracy: mean(per.map((m) => m.balanced_accuracy)),
    f1: mean(per.map((m) => m.f1)),
    auc: meanDefined(per.map((m) => m.auc)),
    confusion: per.map((m) => m.confusion.flat()),
    n,
  };
}

/** Index of the largest of `a[offset .. offset + len)` (the first on ties). */
export function argmax(a: ArrayLike<number>, offset: number, len: number): number {
  let best = 0;
  for (let i = 1; i < len; i++) if (a[offset + i] > a[offset + best]) best = i;
  return best;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function meanDefined(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? mean(ok) : NaN;
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`metrics: truth has ${a.length} entries but predictions have ${b.length}.`);
}
