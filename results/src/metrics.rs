//! Quality metrics of a model run on a labelled dataset (issue 9), computed from the
//! device's own outputs. Pure functions; `tools/litert/make_datasets.py` computes the same
//! numbers by the same definitions in Python, and a test checks that both agree.
//!
//! Conventions shared by every function here:
//! - a ratio whose denominator is zero counts as 0 (scikit-learn's `zero_division=0`);
//! - a metric that is undefined for the given labels is `None`, never NaN;
//! - sums run in a fixed order (ascending class, or sample order), so Python and Rust get
//!   the same bits.

use serde::{Deserialize, Serialize};

/// Quality of a model on a labelled dataset. Serialised with these exact keys (the
/// generator's `metrics.json` files use them too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityMetrics {
    /// `"classification"` or `"anomaly"`.
    pub task: String,
    /// Samples the model ran on. The functions here set it to the number of predictions
    /// (or scores); a caller that also ran unlabelled samples overwrites it.
    pub samples: usize,
    /// Samples with a label, the ones every metric is computed over.
    pub labelled: usize,
    /// Fraction of labelled samples predicted right.
    pub accuracy: Option<f64>,
    /// Precision: macro average over classes (classification), of the anomalous class
    /// (anomaly).
    pub precision: Option<f64>,
    /// Recall, averaged like `precision`.
    pub recall: Option<f64>,
    /// F1, averaged like `precision`.
    pub f1: Option<f64>,
    /// Area under the ROC curve (anomaly detection only; `None` unless the labels hold
    /// both normal and anomalous samples).
    pub roc_auc: Option<f64>,
    /// The anomaly score threshold: a sample is flagged anomalous when `score > threshold`.
    pub threshold: Option<f64>,
}

impl QualityMetrics {
    fn empty(task: &str, samples: usize, labelled: usize) -> QualityMetrics {
        QualityMetrics {
            task: task.to_string(),
            samples,
            labelled,
            accuracy: None,
            precision: None,
            recall: None,
            f1: None,
            roc_auc: None,
            threshold: None,
        }
    }
}

/// `num / den`, 0 when `den` is 0.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Metrics of a classifier: `predicted[i]` is the class the model chose for sample `i`
/// (argmax of its output), `labels[i]` the true class. The slices pair up index by index;
/// if their lengths differ, only the common prefix counts (`labelled` says how many).
///
/// - accuracy = correct / labelled;
/// - for each class `c` in the set C of classes that occur in the labels or in the
///   predictions (in ascending order): tp, fp, fn counted one-vs-rest, then
///   precision_c = tp / (tp + fp), recall_c = tp / (tp + fn), F1_c = 2 tp / (2 tp + fp + fn),
///   each 0 when its denominator is 0 — so a class that is never predicted has precision 0
///   and a class that is predicted but never a label has recall 0 (scikit-learn's
///   `average="macro", zero_division=0`);
/// - precision, recall and F1 are the plain means of the per-class values over C.
///
/// `classes` is the model's number of outputs. It does not restrict C: a label or
/// prediction `>= classes` still forms a class of its own (and can only be wrong).
/// ROC-AUC and the threshold are `None`. With no labelled sample every metric is `None`.
pub fn classification(predicted: &[u32], labels: &[u32], classes: u32) -> QualityMetrics {
    let n = predicted.len().min(labels.len());
    let mut m = QualityMetrics::empty("classification", predicted.len(), n);
    if n == 0 {
        return m;
    }
    let (predicted, labels) = (&predicted[..n], &labels[..n]);
    let mut seen: Vec<u32> = predicted.iter().chain(labels).copied().collect();
    seen.sort_unstable();
    seen.dedup();
    let _ = classes; // C is taken from the data; see the doc comment.
    let (mut p_sum, mut r_sum, mut f_sum) = (0.0, 0.0, 0.0);
    for &c in &seen {
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (&p, &l) in predicted.iter().zip(labels) {
            match (p == c, l == c) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => {}
            }
        }
        p_sum += ratio(tp, tp + fp);
        r_sum += ratio(tp, tp + fn_);
        f_sum += ratio(2 * tp, 2 * tp + fp + fn_);
    }
    let k = seen.len() as f64;
    let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    m.accuracy = Some(ratio(correct, n));
    m.precision = Some(p_sum / k);
    m.recall = Some(r_sum / k);
    m.f1 = Some(f_sum / k);
    m
}

/// Binary counts of `score > threshold` against labels (label 0 = normal, anything else
/// anomalous): (accuracy, precision, recall, F1) of the anomalous class.
fn binary_at(scores: &[f64], anomalous: &[bool], threshold: f64) -> (f64, f64, f64, f64) {
    let (mut tp, mut fp, mut fn_, mut tn) = (0usize, 0usize, 0usize, 0usize);
    for (&s, &a) in scores.iter().zip(anomalous) {
        match (s > threshold, a) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    (
        ratio(tp + tn, scores.len()),
        ratio(tp, tp + fp),
        ratio(tp, tp + fn_),
        ratio(2 * tp, 2 * tp + fp + fn_),
    )
}

/// ROC-AUC by the Mann–Whitney U statistic: the fraction of (anomalous, normal) pairs in
/// which the anomalous sample scores higher, a tie counting 1/2. Computed from midranks:
/// AUC = (R − P(P+1)/2) / (P·N), R the sum of the anomalous samples' ranks (tied scores
/// share the mean of their ranks), P and N the anomalous and normal counts. `None` unless
/// both classes occur.
fn roc_auc(scores: &[f64], anomalous: &[bool]) -> Option<f64> {
    let pos = anomalous.iter().filter(|&&a| a).count();
    let neg = anomalous.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 (1-based) share their mean.
        let midrank = (i + j + 2) as f64 / 2.0;
        let tied_pos = order[i..=j].iter().filter(|&&k| anomalous[k]).count();
        rank_sum += midrank * tied_pos as f64;
        i = j + 1;
    }
    let p = pos as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * neg as f64))
}

/// The threshold that maximises F1 of `score > threshold`. Candidates, in ascending order:
/// one below the lowest score (lowest − 1, which flags every sample), then the midpoints
/// `(a + b) / 2` of consecutive distinct scores. On a tie in F1 the lowest candidate wins.
fn best_threshold(scores: &[f64], anomalous: &[bool]) -> f64 {
    let mut distinct = scores.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    let mut candidates = vec![distinct[0] - 1.0];
    candidates.extend(distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    let mut best = (candidates[0], binary_at(scores, anomalous, candidates[0]).3);
    for &t in &candidates[1..] {
        let f1 = binary_at(scores, anomalous, t).3;
        if f1 > best.1 {
            best = (t, f1);
        }
    }
    best.0
}

/// Metrics of an anomaly detector: `scores[i]` is the anomaly score of sample `i` (higher
/// = more anomalous, e.g. [`anomaly_score`]), `labels[i]` its label (0 = normal, any other
/// value = anomalous). The slices pair up index by index; if their lengths differ, only
/// the common prefix counts.
///
/// - `roc_auc`: see the Mann–Whitney definition above — the fraction of
///   (anomalous, normal) pairs ranked right, ties 1/2; `None` unless both classes occur.
/// - accuracy, precision, recall and F1 (of the anomalous class, zero-division 0) of the
///   decision `score > threshold`. With `threshold: Some(t)` that `t` is used. With `None`
///   the threshold is the one that maximises F1 over the candidates "lowest score − 1"
///   and the midpoints between consecutive distinct scores (the lowest such candidate on
///   a tie); that needs both classes, so with a single-class label set all four and the
///   threshold stay `None`.
///
/// `threshold` in the result is the one used.
pub fn anomaly(scores: &[f64], labels: &[u32], threshold: Option<f64>) -> QualityMetrics {
    let n = scores.len().min(labels.len());
    let mut m = QualityMetrics::empty("anomaly", scores.len(), n);
    if n == 0 {
        return m;
    }
    let scores = &scores[..n];
    let anomalous: Vec<bool> = labels[..n].iter().map(|&l| l != 0).collect();
    m.roc_auc = roc_auc(scores, &anomalous);
    let threshold = match threshold {
        Some(t) => t,
        None if m.roc_auc.is_some() => best_threshold(scores, &anomalous),
        None => return m,
    };
    let (acc, p, r, f1) = binary_at(scores, &anomalous, threshold);
    m.threshold = Some(threshold);
    m.accuracy = Some(acc);
    m.precision = Some(p);
    m.recall = Some(r);
    m.f1 = Some(f1);
    m
}

/// The MLPerf Tiny anomaly-detection score of one sample: the mean squared error between
/// the dequantized input, `(q − in_zp) · in_scale`, and the dequantized output (the
/// autoencoder's reconstruction), `(q − out_zp) · out_scale`. Summed in sample order.
/// The two tensors have the same length for an autoencoder; if they differ, only the
/// common prefix counts, and an empty pair scores 0.
pub fn anomaly_score(
    input: &[i8],
    in_scale: f64,
    in_zp: i32,
    output: &[i8],
    out_scale: f64,
    out_zp: i32,
) -> f64 {
    let n = input.len().min(output.len());
    if n == 0 {
        return 0.0;
    }
    let mut sum = 0.0;
    for (&x, &y) in input.iter().zip(output) {
        let a = f64::from(i32::from(x) - in_zp) * in_scale;
        let b = f64::from(i32::from(y) - out_zp) * out_scale;
        let d = a - b;
        sum += d * d;
    }
    sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-12)
    }

    #[test]
    fn classification_by_hand() {
        // labels   0 0 1 1 2
        // predicted 0 1 1 1 1
        // class 0: tp 1 fp 0 fn 1 -> P 1, R 1/2, F1 2/3
        // class 1: tp 2 fp 2 fn 0 -> P 1/2, R 1, F1 4/6
        // class 2: tp 0 fp 0 fn 1 -> P 0 (never predicted), R 0, F1 0
        let m = classification(&[0, 1, 1, 1, 1], &[0, 0, 1, 1, 2], 3);
        assert_eq!(m.task, "classification");
        assert_eq!((m.samples, m.labelled), (5, 5));
        assert!(close(m.accuracy, 3.0 / 5.0));
        assert!(close(m.precision, (1.0 + 0.5 + 0.0) / 3.0));
        assert!(close(m.recall, (0.5 + 1.0 + 0.0) / 3.0));
        assert!(close(m.f1, (2.0 / 3.0 + 2.0 / 3.0 + 0.0) / 3.0));
        assert_eq!((m.roc_auc, m.threshold), (None, None));
    }

    #[test]
    fn classification_counts_only_classes_that_occur() {
        // 12 outputs but only classes 3 and 7 occur: the average is over two classes.
        let m = classification(&[3, 3, 7, 7], &[3, 3, 7, 3], 12);
        // class 3: tp 2 fp 0 fn 1 -> P 1, R 2/3, F1 4/5; class 7: tp 1 fp 1 fn 0 -> P 1/2, R 1, F1 2/3
        assert!(close(m.accuracy, 0.75));
        assert!(close(m.precision, 0.75));
        assert!(close(m.recall, (2.0 / 3.0 + 1.0) / 2.0));
        assert!(close(m.f1, (0.8 + 2.0 / 3.0) / 2.0));
    }

    #[test]
    fn classification_predicted_only_class_has_recall_zero() {
        // Class 5 is predicted once but is no label: P 0, R 0, F1 0 for it.
        let m = classification(&[1, 5], &[1, 1], 6);
        assert!(close(m.accuracy, 0.5));
        assert!(close(m.precision, (1.0 + 0.0) / 2.0));
        assert!(close(m.recall, (0.5 + 0.0) / 2.0));
        assert!(close(m.f1, (2.0 / 3.0 + 0.0) / 2.0));
    }

    #[test]
    fn classification_without_labels_and_mismatched_lengths() {
        let m = classification(&[1, 2], &[], 3);
        assert_eq!((m.samples, m.labelled), (2, 0));
        assert_eq!((m.accuracy, m.f1), (None, None));
        let m = classification(&[1, 2, 0], &[1, 0], 3);
        assert_eq!(m.labelled, 2);
        assert!(close(m.accuracy, 0.5));
        // Out-of-range labels are a class of their own, never right.
        let m = classification(&[0, 0], &[0, 40], 3);
        assert!(close(m.accuracy, 0.5));
        assert!(close(m.recall, 0.5));
    }

    /// Brute force over all pairs, to check the rank formula.
    fn auc_pairs(scores: &[f64], labels: &[u32]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (i, &a) in scores.iter().enumerate() {
            for (j, &b) in scores.iter().enumerate() {
                if labels[i] != 0 && labels[j] == 0 {
                    pairs += 1.0;
                    wins += if a > b {
                        1.0
                    } else if a == b {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn auc_by_hand_with_ties() {
        // Pairs (anomalous, normal): (0.8, 0.1) win, (0.8, 0.4) win, (0.4, 0.1) win,
        // (0.4, 0.4) tie -> (3 + 0.5) / 4.
        let scores = [0.1, 0.4, 0.4, 0.8];
        let labels = [0, 0, 1, 1];
        let m = anomaly(&scores, &labels, Some(0.5));
        assert!(close(m.roc_auc, 3.5 / 4.0));
        // score > 0.5: only 0.8 flagged -> tp 1, fp 0, fn 1, tn 2.
        assert!(close(m.accuracy, 0.75));
        assert!(close(m.precision, 1.0));
        assert!(close(m.recall, 0.5));
        assert!(close(m.f1, 2.0 / 3.0));
        assert_eq!(m.threshold, Some(0.5));
    }

    #[test]
    fn auc_matches_pair_count_on_many_ties() {
        let scores = [3.0, 1.0, 2.0, 2.0, 2.0, 5.0, 1.0, 3.0, 0.0, 2.0];
        let labels = [1, 0, 1, 0, 0, 1, 1, 0, 0, 1];
        let m = anomaly(&scores, &labels, None);
        let want = auc_pairs(&scores, &labels);
        assert!(close(m.roc_auc, want), "{:?} vs {want}", m.roc_auc);
        assert!(want > 0.5 && want < 1.0);
        // Reversed scores give the complement.
        let neg: Vec<f64> = scores.iter().map(|s| -s).collect();
        assert!(close(anomaly(&neg, &labels, None).roc_auc, 1.0 - want));
    }

    #[test]
    fn best_threshold_maximises_f1() {
        // Perfectly separated: the midpoint between 0.3 and 0.7 gives F1 1.
        let m = anomaly(&[0.1, 0.7, 0.3, 0.9], &[0, 1, 0, 1], None);
        assert_eq!(m.threshold, Some(0.5));
        assert!(close(m.f1, 1.0) && close(m.accuracy, 1.0) && close(m.roc_auc, 1.0));
        // Labels 1 0 1 1 over scores 1..4. Candidates: 0 (flags all: tp 3 fp 1, F1 6/7),
        // 1.5 (flags 2,3,4: tp 2 fp 1 fn 1, F1 4/6), 2.5 (tp 2 fn 1, F1 4/5),
        // 3.5 (tp 1 fn 2, F1 2/4). Flagging all wins.
        let m = anomaly(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 1, 1], None);
        assert_eq!(m.threshold, Some(0.0));
        assert!(close(m.f1, 6.0 / 7.0));
        assert!(close(m.precision, 0.75) && close(m.recall, 1.0) && close(m.accuracy, 0.75));
        // A given threshold is used as is, even a poor one.
        let m = anomaly(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 1, 1], Some(3.5));
        assert!(close(m.f1, 0.5) && close(m.accuracy, 0.5));
    }

    #[test]
    fn best_threshold_tie_takes_the_lowest_candidate() {
        // Labels 1 0 0 1 over scores 1..4. Candidates: 0 (flags all: tp 2 fp 2, F1 4/6),
        // 1.5 (tp 1 fp 2 fn 1, F1 2/5), 2.5 (tp 1 fp 1 fn 1, F1 1/2), 3.5 (tp 1 fn 1,
        // F1 2/3). 0 and 3.5 tie at 2/3: the lowest, 0, wins.
        let m = anomaly(&[1.0, 2.0, 3.0, 4.0], &[1, 0, 0, 1], None);
        assert_eq!(m.threshold, Some(0.0));
        assert!(close(m.f1, 2.0 / 3.0));
        // Equal scores: one distinct value, one candidate; AUC 1/2.
        let m = anomaly(&[2.0, 2.0], &[0, 1], None);
        assert_eq!(m.threshold, Some(1.0));
        assert!(close(m.roc_auc, 0.5));
    }

    #[test]
    fn single_class_labels_leave_auc_undefined() {
        let m = anomaly(&[0.1, 0.2, 0.3], &[0, 0, 0], None);
        assert_eq!(m.roc_auc, None);
        assert_eq!((m.threshold, m.accuracy, m.f1), (None, None, None));
        let m = anomaly(&[0.1, 0.2], &[1, 1], Some(0.15));
        assert_eq!(m.roc_auc, None);
        assert!(close(m.accuracy, 0.5) && close(m.recall, 0.5) && close(m.precision, 1.0));
        let m = anomaly(&[], &[], None);
        assert_eq!((m.samples, m.labelled, m.roc_auc), (0, 0, None));
        // NaN scores do not panic.
        let m = anomaly(&[f64::NAN, 1.0, 0.0], &[1, 0, 1], None);
        assert_eq!(m.labelled, 3);
    }

    #[test]
    fn anomaly_score_is_dequantized_mse() {
        // in: (10-0)*0.5 = 5, (-4-0)*0.5 = -2; out: (3-1)*2 = 4, (-1-1)*2 = -4
        // mse = ((5-4)^2 + (-2+4)^2) / 2 = 2.5
        let s = anomaly_score(&[10, -4], 0.5, 0, &[3, -1], 2.0, 1);
        assert!((s - 2.5).abs() < 1e-12, "{s}");
        assert_eq!(anomaly_score(&[], 1.0, 0, &[], 1.0, 0), 0.0);
        assert_eq!(anomaly_score(&[7, 7], 1.0, 0, &[7], 1.0, 0), 0.0);
        // Extreme values do not overflow: (-128-127) - (127+128) = -510.
        let s = anomaly_score(&[-128], 1.0, 127, &[127], 1.0, -128);
        assert_eq!(s, 510.0 * 510.0);
    }

    #[test]
    fn metrics_serialise_with_the_documented_keys() {
        let m = anomaly(&[0.1, 0.9], &[0, 1], None);
        let v: serde_json::Value = serde_json::to_value(&m).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "task",
            "samples",
            "labelled",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "threshold",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert_eq!(keys.len(), 9);
        let back: QualityMetrics = serde_json::from_value(v).unwrap();
        assert_eq!(back, m);
    }
}
