import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accuracy, balancedAccuracy, binaryAuc, confusionMatrix, evaluate, macroF1 } from '../src/train/metrics';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

describe('metrics (values worked out by hand)', () => {
  test('AUC without ties: 3 of 4 positive/negative pairs ordered correctly', () => {
    close(binaryAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  });

  test('AUC with ties: a tied pair counts one half', () => {
    // positives {0.5, 0.9}, negatives {0.5, 0.2}: pairs 0.5|0.5 tie, the other three correct -> 3.5 / 4
    close(binaryAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), 0.875);
    close(binaryAuc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]), 0.5);
    close(binaryAuc([1, 1, 0], [0.9, 0.1, 0.5]), 0.5);
  });

  test('AUC is NaN with one class only, and bad labels are named', () => {
    assert.ok(Number.isNaN(binaryAuc([1, 1], [0.2, 0.3])));
    assert.throws(() => binaryAuc([0, 2], [0.1, 0.2]), /label at index 1 is 2, expected 0 or 1/);
  });

  test('accuracy, confusion matrix, balanced accuracy, macro F1', () => {
    const y = [0, 0, 0, 1];
    const p = [0, 0, 1, 1];
    close(accuracy(y, p), 0.75);
    assert.deepEqual(confusionMatrix(y, p, 2), [[2, 1], [0, 1]]);
    close(balancedAccuracy(y, p, 2), (2 / 3 + 1) / 2);
    // class 0: tp 2, support 3, predicted 2 -> 0.8; class 1: tp 1, support 1, predicted 2 -> 2/3
    close(macroF1(y, p, 2), (0.8 + 2 / 3) / 2);
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /label 3 or prediction 0 at index 1 is not a class in 0\.\.2/);
  });

  test('evaluate: binary thresholds the probability at 0.5', () => {
    const m = evaluate('binary', [0, 1, 1, 0], [0.2, 0.7, 0.4, 0.6], 2);
    close(m.accuracy, 0.5);
    assert.deepEqual(m.confusion, [[1, 1], [1, 1]]);
    // positives {.7, .4} vs negatives {.2, .6}: 3 of 4 pairs ordered correctly
    close(m.auc, 0.75);
    assert.equal(m.n, 4);
  });

  test('evaluate: multiclass uses argmax and one-vs-rest macro AUC', () => {
    const labels = [0, 1, 2, 2];
    const scores = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.5, 0.1, 0.4];
    const m = evaluate('multiclass', labels, scores, 3);
    close(m.accuracy, 0.75); // the last row predicts class 0
    assert.deepEqual(m.confusion, [[1, 0, 0], [0, 1, 0], [1, 0, 1]]);
    // OvR AUCs: class0 scores [.7,.2,.1,.5] truth [1,0,0,0] -> 1; class1 [.2,.5,.3,.1] truth [0,1,0,0] -> 1;
    // class2 [.1,.3,.6,.4] truth [0,0,1,1] -> pairs (.6>.1,.6>.3,.4>.1,.4>.3) = 1
    close(m.auc, 1);
    close(m.balanced_accuracy, (1 + 1 + 0.5) / 3);
  });

  test('evaluate: multilabel averages per-label metrics', () => {
    // 3 samples x 2 labels
    const labels = [1, 0, 0, 1, 1, 1];
    const scores = [0.9, 0.2, 0.3, 0.6, 0.4, 0.7];
    const m = evaluate('multilabel', labels, scores, 2);
    // label 0: truth [1,0,1], pred [1,0,0] -> acc 2/3; label 1: truth [0,1,1], pred [0,1,1] -> acc 1
    close(m.accuracy, (2 / 3 + 1) / 2);
    // label 0 AUC: positives {.9,.4}, negative {.3} -> 1; label 1: positives {.6,.7}, negative {.2} -> 1
    close(m.auc, 1);
    assert.equal(m.n, 3);
  });
});
