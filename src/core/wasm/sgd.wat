;; freshml: one pass of plain-schedule SGD over a batch for a single weight row
;; (linear regression with squared or Huber loss, binary logistic regression),
;; with WebAssembly SIMD (f64x2) for the dot product and the update.
;;
;; pass(x, y, order, rows, d, w, io) -> 1, or 0 on a non-finite linear output
;;   x:     rows × d row-major f64 features       y: rows f64 targets (0/1 for logistic)
;;   order: rows u32 row indices, the visiting order
;;   w:     d f64 weights, updated in place
;;   io:    f64 slots: [0] intercept (in/out) [1] sample counter t (in/out) [2] alpha
;;          [3] eta0 [4] t0 (optimal) [5] Huber epsilon [6] schedule [7] loss [8] fitIntercept
;;   schedule: 0 constant, 1 eta0/√√t, 2 eta0/√t, 4 optimal (general powerT stays in JS)
;;   loss: 0 squared, 1 huber, 2 logistic
;; The L2 shrink is a scalar factor on the weights (w = scale · v), so a row costs
;; one dot product and one axpy. Mirrors plainPass in sgd-common.ts.
(module
  (import "m" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 1)
  (func $dot (param $a i32) (param $b i32) (param $d i32) (result f64)
    (local $k i32) (local $acc0 v128) (local $acc1 v128) (local $s f64) (local $o i32)
    (local.set $acc0 (v128.const f64x2 0 0))
    (local.set $acc1 (v128.const f64x2 0 0))
    (local.set $k (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $d)))
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $acc0 (f64x2.add (local.get $acc0)
          (f64x2.mul (v128.load (i32.add (local.get $a) (local.get $o))) (v128.load (i32.add (local.get $b) (local.get $o))))))
        (local.set $acc1 (f64x2.add (local.get $acc1)
          (f64x2.mul (v128.load offset=16 (i32.add (local.get $a) (local.get $o))) (v128.load offset=16 (i32.add (local.get $b) (local.get $o))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.ge_u (local.get $k) (local.get $d)))
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.add (local.get $a) (local.get $o))) (f64.load (i32.add (local.get $b) (local.get $o))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $t)))
    (local.get $s))
  ;; y[0..d) += c · x[0..d)
  (func $axpy (param $c f64) (param $x i32) (param $y i32) (param $d i32)
    (local $k i32) (local $vc v128) (local $o i32) (local $p i32)
    (local.set $vc (f64x2.splat (local.get $c)))
    (local.set $k (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.gt_u (i32.add (local.get $k) (i32.const 2)) (local.get $d)))
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $p (i32.add (local.get $y) (local.get $o)))
        (v128.store (local.get $p)
          (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $vc) (v128.load (i32.add (local.get $x) (local.get $o))))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $l)))
    (if (i32.lt_u (local.get $k) (local.get $d))
      (then
        (local.set $o (i32.shl (local.get $k) (i32.const 3)))
        (local.set $p (i32.add (local.get $y) (local.get $o)))
        (f64.store (local.get $p)
          (f64.add (f64.load (local.get $p)) (f64.mul (local.get $c) (f64.load (i32.add (local.get $x) (local.get $o)))))))))
  ;; v[0..d) *= c
  (func $scale (param $v i32) (param $d i32) (param $c f64)
    (local $k i32) (local $p i32)
    (local.set $k (i32.const 0))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $k) (local.get $d)))
        (local.set $p (i32.add (local.get $v) (i32.shl (local.get $k) (i32.const 3))))
        (f64.store (local.get $p) (f64.mul (f64.load (local.get $p)) (local.get $c)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l))))
  (func (export "pass") (param $x i32) (param $y i32) (param $order i32) (param $rows i32) (param $d i32) (param $w i32) (param $io i32) (result i32)
    (local $r i32) (local $row i32) (local $stride i32)
    (local $b0 f64) (local $t f64) (local $alpha f64) (local $eta0 f64) (local $t0 f64) (local $eps f64)
    (local $schedule i32) (local $loss i32) (local $fit i32)
    (local $scale f64) (local $out f64) (local $g f64) (local $eta f64) (local $step f64) (local $shrink f64) (local $e f64)
    (local.set $b0 (f64.load (local.get $io)))
    (local.set $t (f64.load offset=8 (local.get $io)))
    (local.set $alpha (f64.load offset=16 (local.get $io)))
    (local.set $eta0 (f64.load offset=24 (local.get $io)))
    (local.set $t0 (f64.load offset=32 (local.get $io)))
    (local.set $eps (f64.load offset=40 (local.get $io)))
    (local.set $schedule (i32.trunc_f64_s (f64.load offset=48 (local.get $io))))
    (local.set $loss (i32.trunc_f64_s (f64.load offset=56 (local.get $io))))
    (local.set $fit (i32.trunc_f64_s (f64.load offset=64 (local.get $io))))
    (local.set $stride (i32.shl (local.get $d) (i32.const 3)))
    (local.set $scale (f64.const 1))
    (local.set $r (i32.const 0))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.load (i32.add (local.get $order) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $out (f64.add (local.get $b0)
          (f64.mul (local.get $scale)
            (call $dot (local.get $w) (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $stride))) (local.get $d)))))
        ;; NaN or ±Infinity: stop; the caller discards its state copy.
        (if (f64.ne (f64.sub (local.get $out) (local.get $out)) (f64.const 0))
          (then
            (f64.store (local.get $io) (local.get $b0))
            (f64.store offset=8 (local.get $io) (local.get $t))
            (return (i32.const 0))))
        (if (i32.eq (local.get $loss) (i32.const 2))
          (then
            (if (f64.ge (local.get $out) (f64.const 0))
              (then (local.set $g (f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64.neg (local.get $out)))))))
              (else
                (local.set $e (call $exp (local.get $out)))
                (local.set $g (f64.div (local.get $e) (f64.add (f64.const 1) (local.get $e))))))
            (local.set $g (f64.sub (local.get $g)
              (f64.load (i32.add (local.get $y) (i32.shl (local.get $row) (i32.const 3)))))))
          (else
            (local.set $g (f64.sub (local.get $out)
              (f64.load (i32.add (local.get $y) (i32.shl (local.get $row) (i32.const 3))))))
            (if (i32.eq (local.get $loss) (i32.const 1))
              (then
                (if (f64.gt (local.get $g) (local.get $eps)) (then (local.set $g (local.get $eps))))
                (if (f64.lt (local.get $g) (f64.neg (local.get $eps))) (then (local.set $g (f64.neg (local.get $eps)))))))))
        (local.set $eta
          (if (result f64) (i32.eq (local.get $schedule) (i32.const 1))
            (then (f64.div (local.get $eta0) (f64.sqrt (f64.sqrt (local.get $t)))))
            (else
              (if (result f64) (i32.eq (local.get $schedule) (i32.const 0))
                (then (local.get $eta0))
                (else
                  (if (result f64) (i32.eq (local.get $schedule) (i32.const 4))
                    (then (f64.div (f64.const 1)
                      (f64.mul (local.get $alpha) (f64.sub (f64.add (local.get $t0) (local.get $t)) (f64.const 1)))))
                    (else (f64.div (local.get $eta0) (f64.sqrt (local.get $t))))))))))
        (local.set $step (f64.mul (local.get $eta) (local.get $g)))
        (local.set $shrink (f64.sub (f64.const 1) (f64.mul (local.get $eta) (local.get $alpha))))
        (if (f64.gt (local.get $shrink) (f64.const 1e-9))
          (then (local.set $scale (f64.mul (local.get $scale) (local.get $shrink))))
          (else
            (memory.fill (local.get $w) (i32.const 0) (local.get $stride))
            (local.set $scale (f64.const 1))))
        (if (f64.ne (local.get $step) (f64.const 0))
          (then
            (call $axpy (f64.div (f64.neg (local.get $step)) (local.get $scale))
              (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $stride))) (local.get $w) (local.get $d))))
        (if (local.get $fit) (then (local.set $b0 (f64.sub (local.get $b0) (local.get $step)))))
        (if (f64.lt (local.get $scale) (f64.const 1e-9))
          (then
            (call $scale (local.get $w) (local.get $d) (local.get $scale))
            (local.set $scale (f64.const 1))))
        (local.set $t (f64.add (local.get $t) (f64.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows_loop)))
    (if (f64.ne (local.get $scale) (f64.const 1)) (then (call $scale (local.get $w) (local.get $d) (local.get $scale))))
    (f64.store (local.get $io) (local.get $b0))
    (f64.store offset=8 (local.get $io) (local.get $t))
    (i32.const 1)))
