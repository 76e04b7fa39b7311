;; freshml: ADWIN's update loop (src/drift/adwin.ts, `feed`), the same arithmetic in
;; the same order, so the state and the drift points are the same to the bit.
;;
;; feed(vals, n, totals, m2s) -> index of the first value after which a drift was
;;   found, or -1. vals: n finite f64 values. totals, m2s: the bucket rings, 64 levels
;;   of `cap` f64 each, level k's buckets at [k·cap + (start[k] + i) mod cap].
;; Fixed layout (bytes):
;;   0    f64 io: [0] width [1] total [2] m2 [3] delta [4] minWindowLength
;;   64   i32 io: [0] cap [1] maxBuckets [2] clock [3] gracePeriod [4] untilCheck
;;               [5] nLevels [6] (out) index of the last value that found a drift, or -1
;;   128  i32 start[64]   384 i32 count[64]
;;   640  f64 sizes[64] (2^k)   1152 f64 halves[64] (2^k / 2)   1664 f64 inv[64] (2^−k)
;; Math.log is imported, so δ′ is computed exactly as in JS.
(module
  (import "m" "log" (func $log (param f64) (result f64)))
  (memory (export "memory") 1)
  (global $width (mut f64) (f64.const 0))
  (global $total (mut f64) (f64.const 0))
  (global $m2 (mut f64) (f64.const 0))
  (global $nLevels (mut i32) (i32.const 0))
  (global $cap (mut i32) (i32.const 0))
  (global $tot (mut i32) (i32.const 0))
  (global $m2s (mut i32) (i32.const 0))

  ;; Drops the oldest bucket (adwin.ts dropOldest).
  (func $dropOldest
    (local $k i32) (local $q i32) (local $n f64) (local $t f64) (local $v f64) (local $rest f64) (local $dm f64)
    (local.set $k (i32.sub (global.get $nLevels) (i32.const 1)))
    (block $found
      (loop $down
        (br_if $found (i32.lt_s (local.get $k) (i32.const 0)))
        (br_if $found (i32.ne (i32.load offset=384 (i32.shl (local.get $k) (i32.const 2))) (i32.const 0)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $down)))
    (if (i32.lt_s (local.get $k) (i32.const 0)) (then (return)))
    (local.set $q (i32.add (i32.mul (local.get $k) (global.get $cap)) (i32.load offset=128 (i32.shl (local.get $k) (i32.const 2)))))
    (local.set $n (f64.load offset=640 (i32.shl (local.get $k) (i32.const 3))))
    (local.set $t (f64.load (i32.add (global.get $tot) (i32.shl (local.get $q) (i32.const 3)))))
    (local.set $v (f64.load (i32.add (global.get $m2s) (i32.shl (local.get $q) (i32.const 3)))))
    (i32.store offset=128 (i32.shl (local.get $k) (i32.const 2))
      (i32.rem_u (i32.add (i32.load offset=128 (i32.shl (local.get $k) (i32.const 2))) (i32.const 1)) (global.get $cap)))
    (i32.store offset=384 (i32.shl (local.get $k) (i32.const 2))
      (i32.sub (i32.load offset=384 (i32.shl (local.get $k) (i32.const 2))) (i32.const 1)))
    (local.set $rest (f64.sub (global.get $width) (local.get $n)))
    (if (f64.gt (local.get $rest) (f64.const 0))
      (then
        (local.set $dm (f64.sub (f64.div (local.get $t) (local.get $n))
                                (f64.div (f64.sub (global.get $total) (local.get $t)) (local.get $rest))))
        ;; max(0, m2 − v − ((n·rest)/width)·dm·dm)
        (global.set $m2 (f64.max (f64.const 0)
          (f64.sub (f64.sub (global.get $m2) (local.get $v))
                   (f64.mul (f64.mul (f64.div (f64.mul (local.get $n) (local.get $rest)) (global.get $width)) (local.get $dm)) (local.get $dm))))))
      (else (global.set $m2 (f64.const 0))))
    (global.set $total (f64.sub (global.get $total) (local.get $t)))
    (global.set $width (local.get $rest))
    (block $trimmed
      (loop $trim
        (br_if $trimmed (i32.le_s (global.get $nLevels) (i32.const 0)))
        (br_if $trimmed (i32.ne (i32.load offset=384 (i32.shl (i32.sub (global.get $nLevels) (i32.const 1)) (i32.const 2))) (i32.const 0)))
        (global.set $nLevels (i32.sub (global.get $nLevels) (i32.const 1)))
        (br $trim))))

  ;; The check (adwin.ts detect): 1 when some cut fired. The per-pass constants are
  ;; computed here and handed to $scan as parameters, so the compiler cannot move
  ;; them (a division among them) into the scan's loop.
  (func $detect (result i32)
    (local $drift i32) (local $width f64) (local $total f64) (local $dp f64) (local $var f64)
    (local $slackW f64) (local $slackT f64) (local $bound f64) (local $mwl f64) (local $delta f64)
    (local.set $delta (f64.load offset=24 (i32.const 0)))
    (local.set $mwl (f64.load offset=32 (i32.const 0)))
    (block $stop
      (loop $again
        (br_if $stop (i32.eqz (f64.gt (global.get $width) (f64.mul (f64.const 2) (local.get $mwl)))))
        (local.set $width (global.get $width))
        (local.set $total (global.get $total))
        (local.set $dp (call $log (f64.div (f64.mul (f64.const 2) (call $log (local.get $width))) (local.get $delta))))
        (local.set $var (f64.div (global.get $m2) (local.get $width)))
        (local.set $slackW (f64.mul (f64.const 1e-14) (local.get $width)))
        (local.set $slackT (f64.add (f64.mul (f64.abs (local.get $total)) (local.get $slackW)) (f64.const 1e-300)))
        (local.set $bound (f64.mul (f64.mul (f64.mul (f64.mul (f64.const 0.99) (f64.const 2)) (local.get $var)) (local.get $dp)) (local.get $width)))
        (br_if $stop (i32.eqz
          (call $scan (local.get $width) (local.get $total) (local.get $var) (local.get $dp)
            (f64.mul (f64.div (f64.const 2) (f64.const 3)) (local.get $dp))
            (local.get $slackW) (local.get $slackT) (local.get $bound)
            (i32.and (f64.ge (local.get $bound) (f64.const 1e-250)) (f64.lt (local.get $slackT) (f64.const inf)))
            (local.get $mwl))))
        (local.set $drift (i32.const 1))
        (br $again)))
    (local.get $drift))

  ;; One pass over the cuts, oldest first: 1 if one fired (its oldest bucket is then dropped).
  (func $scan (param $width f64) (param $total f64) (param $var f64) (param $dp f64) (param $bias f64)
      (param $slackW f64) (param $slackT f64) (param $bound f64) (param $screen i32) (param $mwl f64) (result i32)
    (local $n0 f64) (local $t0 f64) (local $k i32) (local $i i32) (local $c i32) (local $q i32) (local $base i32)
    (local $size f64) (local $n1 f64) (local $u f64) (local $diff f64) (local $mr f64) (local $over f64) (local $cap i32)
    (local.set $cap (global.get $cap))
        (local.set $k (i32.sub (global.get $nLevels) (i32.const 1)))
        (block $scanDone
          (loop $levels
            (br_if $scanDone (i32.lt_s (local.get $k) (i32.const 0)))
            (local.set $base (i32.add (global.get $tot) (i32.shl (i32.mul (local.get $k) (local.get $cap)) (i32.const 3))))
            (local.set $size (f64.load offset=640 (i32.shl (local.get $k) (i32.const 3))))
            (local.set $q (i32.load offset=128 (i32.shl (local.get $k) (i32.const 2))))
            (local.set $c (i32.load offset=384 (i32.shl (local.get $k) (i32.const 2))))
            (local.set $i (i32.const 0))
            (block $lvlDone
              (loop $cuts
                (br_if $lvlDone (i32.ge_s (local.get $i) (local.get $c)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $n0 (f64.add (local.get $n0) (local.get $size)))
                (local.set $t0 (f64.add (local.get $t0) (f64.load (i32.add (local.get $base) (i32.shl (local.get $q) (i32.const 3))))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (if (i32.eq (local.get $q) (local.get $cap)) (then (local.set $q (i32.const 0))))
                (local.set $n1 (f64.sub (local.get $width) (local.get $n0)))
                (br_if $scanDone (f64.lt (local.get $n1) (local.get $mwl)))
                (br_if $cuts (f64.lt (local.get $n0) (local.get $mwl)))
                (if (local.get $screen)
                  (then
                    (local.set $u (f64.add (f64.add (f64.abs (f64.sub (f64.mul (local.get $t0) (local.get $width)) (f64.mul (local.get $total) (local.get $n0))))
                                                    (f64.mul (f64.abs (local.get $t0)) (local.get $slackW)))
                                           (local.get $slackT)))
                    (br_if $cuts (f64.lt (f64.mul (local.get $u) (local.get $u))
                                         (f64.mul (f64.mul (local.get $bound) (local.get $n0)) (local.get $n1))))))
                (local.set $diff (f64.abs (f64.sub (f64.div (local.get $t0) (local.get $n0))
                                                   (f64.div (f64.sub (local.get $total) (local.get $t0)) (local.get $n1)))))
                (local.set $mr (f64.add (f64.div (f64.const 1) (f64.add (f64.sub (local.get $n0) (local.get $mwl)) (f64.const 1)))
                                        (f64.div (f64.const 1) (f64.add (f64.sub (local.get $n1) (local.get $mwl)) (f64.const 1)))))
                (local.set $over (f64.sub (local.get $diff) (f64.mul (local.get $bias) (local.get $mr))))
                (if (f64.gt (local.get $over) (f64.const 0))
                  (then
                    (if (f64.gt (f64.mul (local.get $over) (local.get $over))
                                (f64.mul (f64.mul (f64.mul (f64.const 2) (local.get $mr)) (local.get $var)) (local.get $dp)))
                      (then
                        (call $dropOldest)
                        (return (i32.const 1))))))
                (br $cuts)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br $levels)))
    (i32.const 0))

  (func (export "feed") (param $vals i32) (param $n i32) (param $tot i32) (param $m2s i32) (result i32)
    (local $i i32) (local $x f64) (local $width f64) (local $total f64) (local $m2 f64) (local $dx f64)
    (local $cap i32) (local $maxB i32) (local $clock i32) (local $grace f64) (local $until i32) (local $nLevels i32)
    (local $first i32) (local $last i32)
    (local $level i32) (local $base i32) (local $s i32) (local $s1 i32) (local $c i32) (local $q i32)
    (local $bTotal f64) (local $bM2 f64) (local $t0 f64) (local $t1 f64) (local $inv f64) (local $dm f64) (local $p i32)
    (local.set $width (f64.load (i32.const 0)))
    (local.set $total (f64.load offset=8 (i32.const 0)))
    (local.set $m2 (f64.load offset=16 (i32.const 0)))
    (local.set $cap (i32.load offset=64 (i32.const 0)))
    (local.set $maxB (i32.load offset=68 (i32.const 0)))
    (local.set $clock (i32.load offset=72 (i32.const 0)))
    (local.set $grace (f64.convert_i32_s (i32.load offset=76 (i32.const 0))))
    (local.set $until (i32.load offset=80 (i32.const 0)))
    (local.set $nLevels (i32.load offset=84 (i32.const 0)))
    (global.set $cap (local.get $cap))
    (global.set $tot (local.get $tot))
    (global.set $m2s (local.get $m2s))
    (local.set $first (i32.const -1))
    (local.set $last (i32.const -1))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f64.load (i32.add (local.get $vals) (i32.shl (local.get $i) (i32.const 3)))))
        ;; Welford for the whole window.
        (if (f64.gt (local.get $width) (f64.const 0))
          (then
            (local.set $dx (f64.sub (local.get $x) (f64.div (local.get $total) (local.get $width))))
            (local.set $m2 (f64.add (local.get $m2)
              (f64.mul (f64.div (local.get $width) (f64.add (local.get $width) (f64.const 1)))
                       (f64.mul (local.get $dx) (local.get $dx)))))))
        (local.set $total (f64.add (local.get $total) (local.get $x)))
        (local.set $width (f64.add (local.get $width) (f64.const 1)))
        ;; The new bucket, then merges up the levels.
        (local.set $bTotal (local.get $x))
        (local.set $bM2 (f64.const 0))
        (local.set $level (i32.const 0))
        (block $inserted
          (loop $cascade
            (local.set $base (i32.mul (local.get $level) (local.get $cap)))
            (local.set $s (i32.load offset=128 (i32.shl (local.get $level) (i32.const 2))))
            (local.set $c (i32.add (i32.load offset=384 (i32.shl (local.get $level) (i32.const 2))) (i32.const 1)))
            (local.set $q (i32.sub (i32.add (local.get $s) (local.get $c)) (i32.const 1)))
            (if (i32.ge_s (local.get $q) (local.get $cap)) (then (local.set $q (i32.sub (local.get $q) (local.get $cap)))))
            (local.set $p (i32.shl (i32.add (local.get $base) (local.get $q)) (i32.const 3)))
            (f64.store (i32.add (local.get $tot) (local.get $p)) (local.get $bTotal))
            (f64.store (i32.add (local.get $m2s) (local.get $p)) (local.get $bM2))
            (if (i32.ge_s (local.get $level) (local.get $nLevels)) (then (local.set $nLevels (i32.add (local.get $level) (i32.const 1)))))
            (if (i32.le_s (local.get $c) (local.get $maxB))
              (then
                (i32.store offset=384 (i32.shl (local.get $level) (i32.const 2)) (local.get $c))
                (br $inserted)))
            (local.set $s1 (i32.add (local.get $s) (i32.const 1)))
            (if (i32.ge_s (local.get $s1) (local.get $cap)) (then (local.set $s1 (i32.sub (local.get $s1) (local.get $cap)))))
            (local.set $t0 (f64.load (i32.add (local.get $tot) (i32.shl (i32.add (local.get $base) (local.get $s)) (i32.const 3)))))
            (local.set $t1 (f64.load (i32.add (local.get $tot) (i32.shl (i32.add (local.get $base) (local.get $s1)) (i32.const 3)))))
            (local.set $inv (f64.load offset=1664 (i32.shl (local.get $level) (i32.const 3))))
            (local.set $dm (f64.sub (f64.mul (local.get $t0) (local.get $inv)) (f64.mul (local.get $t1) (local.get $inv))))
            (local.set $bM2 (f64.add
              (f64.add (f64.load (i32.add (local.get $m2s) (i32.shl (i32.add (local.get $base) (local.get $s)) (i32.const 3))))
                       (f64.load (i32.add (local.get $m2s) (i32.shl (i32.add (local.get $base) (local.get $s1)) (i32.const 3)))))
              (f64.mul (f64.load offset=1152 (i32.shl (local.get $level) (i32.const 3))) (f64.mul (local.get $dm) (local.get $dm)))))
            (local.set $bTotal (f64.add (local.get $t0) (local.get $t1)))
            (local.set $s1 (i32.add (local.get $s1) (i32.const 1)))
            (if (i32.ge_s (local.get $s1) (local.get $cap)) (then (local.set $s1 (i32.sub (local.get $s1) (local.get $cap)))))
            (i32.store offset=128 (i32.shl (local.get $level) (i32.const 2)) (local.get $s1))
            (i32.store offset=384 (i32.shl (local.get $level) (i32.const 2)) (i32.sub (local.get $c) (i32.const 2)))
            (local.set $level (i32.add (local.get $level) (i32.const 1)))
            (br $cascade)))
        (local.set $until (i32.sub (local.get $until) (i32.const 1)))
        (if (i32.eqz (local.get $until))
          (then
            (local.set $until (local.get $clock))
            (if (f64.gt (local.get $width) (local.get $grace))
              (then
                (global.set $width (local.get $width))
                (global.set $total (local.get $total))
                (global.set $m2 (local.get $m2))
                (global.set $nLevels (local.get $nLevels))
                (if (call $detect)
                  (then
                    (if (i32.lt_s (local.get $first) (i32.const 0)) (then (local.set $first (local.get $i))))
                    (local.set $last (local.get $i))))
                (local.set $width (global.get $width))
                (local.set $total (global.get $total))
                (local.set $m2 (global.get $m2))
                (local.set $nLevels (global.get $nLevels))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $values)))
    (f64.store (i32.const 0) (local.get $width))
    (f64.store offset=8 (i32.const 0) (local.get $total))
    (f64.store offset=16 (i32.const 0) (local.get $m2))
    (i32.store offset=80 (i32.const 0) (local.get $until))
    (i32.store offset=84 (i32.const 0) (local.get $nLevels))
    (i32.store offset=88 (i32.const 0) (local.get $last))
    (local.get $first)))
