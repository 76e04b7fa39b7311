;; freshml: one FTRL-Proximal pass of binary logistic regression over a batch
;; (McMahan et al. 2013, Alg. 1), with WebAssembly SIMD (f64x2): two features
;; per instruction for the dot product, the square roots and the divisions.
;; Mirrors binaryPass in learners/logistic-regression.ts operation for
;; operation, so both give bit-identical states:
;; - the dot product's lane 0 is the JS loop's even accumulator (starting at the
;;   intercept's weight), lane 1 its odd one; an odd last feature joins lane 0;
;; - a feature that is 0 leaves its coordinate exactly as it was (the JS loop
;;   skips it; here the new values are computed and masked out);
;; - e^x is computed here ($exp), not imported: a call out to the host's
;;   Math.exp cost more than half of a row at d = 10. It is fdlibm's e_exp
;;   method (Sun Microsystems 1993; the algorithm V8's Math.exp uses, with its
;;   special case exp(1) = e), so it equals Math.exp bit for bit; the tests
;;   check that on millions of arguments and the whole pass against the JS loop.
;;
;; pass(x, c, rows, d, z, g2, sq, w, io) -> 0
;;   x: rows × d row-major f64 features      c: rows i32 class indices (0/1)
;;   z, g2, sq, w: d f64 each (the features' coordinates), updated in place
;;   io: f64 slots [0] w0 (class-0 weight) [1] w1 [2] 1/α [3] base = β/α + l2
;;       [4] l1 [5] fitIntercept [6] intercept base = β/α
;;       [7..10] the intercept's z, g2, sq, w (in/out)
;;
;; standardize(x, rows, d, mean, scale): in place, x = (x − mean[j]) · scale[j],
;;   the operations of OnlineStandardScaler.transformInto (so bit-identical),
;;   two features per instruction; run on a chunk before pass.
(module
  (memory (export "memory") 1)
  ;; e^x by fdlibm's method: x = k·ln2 + r with |r| ≤ ln2/2 (r = hi − lo),
  ;; e^r from a degree-5 remez polynomial in r², then scaled by 2^k. The
  ;; constants are given by their bit patterns (the published hex values).
  (func $exp (export "exp") (param $x f64) (result f64)
    (local $hx i32) (local $xsb i32) (local $k i32)
    (local $hi f64) (local $lo f64) (local $t f64) (local $c f64) (local $y f64) (local $twopk f64)
    (local.set $hx (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 32))))
    (local.set $xsb (i32.shr_u (local.get $hx) (i32.const 31)))
    (local.set $hx (i32.and (local.get $hx) (i32.const 0x7fffffff)))
    ;; |x| ≥ 709.78: NaN, ±Infinity, overflow, underflow
    (if (i32.ge_u (local.get $hx) (i32.const 0x40862E42))
      (then
        (if (i32.ge_u (local.get $hx) (i32.const 0x7ff00000))
          (then
            (if (f64.ne (local.get $x) (local.get $x)) (then (return (f64.add (local.get $x) (local.get $x)))))
            (return (select (local.get $x) (f64.const 0) (i32.eqz (local.get $xsb))))))
        ;; o_threshold 0x40862E42FEFA39EF, u_threshold 0xC0874910D52D3051
        (if (f64.gt (local.get $x) (f64.reinterpret_i64 (i64.const 0x40862E42FEFA39EF))) (then (return (f64.const inf))))
        (if (f64.lt (local.get $x) (f64.reinterpret_i64 (i64.const 0xC0874910D52D3051))) (then (return (f64.const 0))))))
    (if (i32.gt_u (local.get $hx) (i32.const 0x3FD62E42))
      (then
        ;; |x| > ln2/2: reduce
        (if (i32.lt_u (local.get $hx) (i32.const 0x3FF0A2B2))
          (then
            ;; |x| < 1.5·ln2: k = ±1 (and exp(1) is e, as V8 returns it)
            (if (f64.eq (local.get $x) (f64.const 1)) (then (return (f64.reinterpret_i64 (i64.const 0x4005BF0A8B145769)))))
            (if (local.get $xsb)
              (then
                (local.set $hi (f64.add (local.get $x) (f64.reinterpret_i64 (i64.const 0x3FE62E42FEE00000))))
                (local.set $lo (f64.reinterpret_i64 (i64.const 0xBDEA39EF35793C76)))
                (local.set $k (i32.const -1)))
              (else
                (local.set $hi (f64.sub (local.get $x) (f64.reinterpret_i64 (i64.const 0x3FE62E42FEE00000))))
                (local.set $lo (f64.reinterpret_i64 (i64.const 0x3DEA39EF35793C76)))
                (local.set $k (i32.const 1)))))
          (else
            ;; k = trunc(x/ln2 ± 0.5), hi = x − k·ln2_hi (exact), lo = k·ln2_lo
            (local.set $k (i32.trunc_f64_s (f64.add
              (f64.mul (f64.reinterpret_i64 (i64.const 0x3FF71547652B82FE)) (local.get $x))
              (select (f64.const -0.5) (f64.const 0.5) (local.get $xsb)))))
            (local.set $t (f64.convert_i32_s (local.get $k)))
            (local.set $hi (f64.sub (local.get $x) (f64.mul (local.get $t) (f64.reinterpret_i64 (i64.const 0x3FE62E42FEE00000)))))
            (local.set $lo (f64.mul (local.get $t) (f64.reinterpret_i64 (i64.const 0x3DEA39EF35793C76))))))
        (local.set $x (f64.sub (local.get $hi) (local.get $lo))))
      (else
        ;; |x| < 2^-28: 1 + x
        (if (i32.lt_u (local.get $hx) (i32.const 0x3E300000)) (then (return (f64.add (f64.const 1) (local.get $x)))))))
    (local.set $t (f64.mul (local.get $x) (local.get $x)))
    (local.set $twopk (f64.reinterpret_i64 (i64.shl
      (i64.extend_i32_u (i32.add (i32.const 0x3FF00000)
        (i32.shl (select (local.get $k) (i32.add (local.get $k) (i32.const 1000)) (i32.ge_s (local.get $k) (i32.const -1021))) (i32.const 20))))
      (i64.const 32))))
    ;; c = x − t·(P1 + t·(P2 + t·(P3 + t·(P4 + t·P5)))), Horner's order
    (local.set $c (f64.mul (local.get $t) (f64.reinterpret_i64 (i64.const 0x3E66376972BEA4D0))))
    (local.set $c (f64.mul (local.get $t) (f64.add (f64.reinterpret_i64 (i64.const 0xBEBBBD41C5D26BF1)) (local.get $c))))
    (local.set $c (f64.mul (local.get $t) (f64.add (f64.reinterpret_i64 (i64.const 0x3F11566AAF25DE2C)) (local.get $c))))
    (local.set $c (f64.mul (local.get $t) (f64.add (f64.reinterpret_i64 (i64.const 0xBF66C16C16BEBD93)) (local.get $c))))
    (local.set $c (f64.mul (local.get $t) (f64.add (f64.reinterpret_i64 (i64.const 0x3FC555555555553E)) (local.get $c))))
    (local.set $c (f64.sub (local.get $x) (local.get $c)))
    (if (i32.eqz (local.get $k))
      (then (return (f64.sub (f64.const 1)
        (f64.sub (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (local.get $c) (f64.const 2))) (local.get $x))))))
    (local.set $y (f64.sub (f64.const 1)
      (f64.sub (f64.sub (local.get $lo) (f64.div (f64.mul (local.get $x) (local.get $c)) (f64.sub (f64.const 2) (local.get $c))))
        (local.get $hi))))
    (if (i32.ge_s (local.get $k) (i32.const -1021))
      (then
        (if (i32.eq (local.get $k) (i32.const 1024))
          (then (return (f64.mul (f64.mul (local.get $y) (f64.const 2)) (f64.reinterpret_i64 (i64.const 0x7FE0000000000000))))))
        (return (f64.mul (local.get $y) (local.get $twopk)))))
    ;; 2^-1000 = 0x0170000000000000
    (f64.mul (f64.mul (local.get $y) (local.get $twopk)) (f64.reinterpret_i64 (i64.const 0x0170000000000000))))
  (func (export "standardize") (param $x i32) (param $rows i32) (param $d i32) (param $mean i32) (param $scale i32)
    (local $i i32) (local $j i32) (local $xo i32) (local $o i32) (local $pairs i32)
    (local.set $pairs (i32.and (local.get $d) (i32.const -2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rl
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $xo (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $pd
          (loop $pl
            (br_if $pd (i32.ge_u (local.get $j) (local.get $pairs)))
            (local.set $o (i32.shl (local.get $j) (i32.const 3)))
            (v128.store (i32.add (local.get $xo) (local.get $o))
              (f64x2.mul
                (f64x2.sub (v128.load (i32.add (local.get $xo) (local.get $o))) (v128.load (i32.add (local.get $mean) (local.get $o))))
                (v128.load (i32.add (local.get $scale) (local.get $o)))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pl)))
        (if (i32.lt_u (local.get $pairs) (local.get $d))
          (then
            (local.set $o (i32.shl (local.get $pairs) (i32.const 3)))
            (f64.store (i32.add (local.get $xo) (local.get $o))
              (f64.mul
                (f64.sub (f64.load (i32.add (local.get $xo) (local.get $o))) (f64.load (i32.add (local.get $mean) (local.get $o))))
                (f64.load (i32.add (local.get $scale) (local.get $o)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rl))))
  (func (export "pass") (param $x i32) (param $c i32) (param $rows i32) (param $d i32)
    (param $z i32) (param $g2 i32) (param $sq i32) (param $w i32) (param $io i32) (result i32)
    (local $i i32) (local $j i32) (local $o i32) (local $xo i32) (local $pairs i32)
    (local $w0 f64) (local $w1 f64) (local $inv f64) (local $base f64) (local $l1 f64) (local $fit i32) (local $bi f64)
    (local $bz f64) (local $bg2 f64) (local $bsq f64) (local $bw f64)
    (local $acc v128) (local $s f64) (local $p f64) (local $g f64)
    (local $vx v128) (local $vg v128) (local $vgj v128) (local $va v128) (local $vr v128) (local $vz v128) (local $vw v128)
    (local $keep v128) (local $vinv v128) (local $vbase v128) (local $vl1 v128)
    (local $gs f64) (local $as f64) (local $rs f64) (local $zs f64) (local $ws f64) (local $xs f64)
    (local.set $w0 (f64.load (local.get $io)))
    (local.set $w1 (f64.load offset=8 (local.get $io)))
    (local.set $inv (f64.load offset=16 (local.get $io)))
    (local.set $base (f64.load offset=24 (local.get $io)))
    (local.set $l1 (f64.load offset=32 (local.get $io)))
    (local.set $fit (f64.ne (f64.load offset=40 (local.get $io)) (f64.const 0)))
    (local.set $bi (f64.load offset=48 (local.get $io)))
    (local.set $bz (f64.load offset=56 (local.get $io)))
    (local.set $bg2 (f64.load offset=64 (local.get $io)))
    (local.set $bsq (f64.load offset=72 (local.get $io)))
    (local.set $bw (f64.load offset=80 (local.get $io)))
    (local.set $vinv (f64x2.splat (local.get $inv)))
    (local.set $vbase (f64x2.splat (local.get $base)))
    (local.set $vl1 (f64x2.splat (local.get $l1)))
    (local.set $pairs (i32.and (local.get $d) (i32.const -2)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $xo (i32.add (local.get $x) (i32.shl (i32.mul (local.get $i) (local.get $d)) (i32.const 3))))
        ;; s: lane 0 = intercept + even features, lane 1 = odd features
        (local.set $acc (f64x2.replace_lane 0 (v128.const f64x2 0 0) (local.get $bw)))
        (local.set $j (i32.const 0))
        (block $dd
          (loop $dl
            (br_if $dd (i32.ge_u (local.get $j) (local.get $pairs)))
            (local.set $o (i32.shl (local.get $j) (i32.const 3)))
            (local.set $acc (f64x2.add (local.get $acc)
              (f64x2.mul (v128.load (i32.add (local.get $w) (local.get $o))) (v128.load (i32.add (local.get $xo) (local.get $o))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $dl)))
        (local.set $s (f64x2.extract_lane 0 (local.get $acc)))
        (if (i32.lt_u (local.get $pairs) (local.get $d))
          (then
            (local.set $o (i32.shl (local.get $pairs) (i32.const 3)))
            (local.set $s (f64.add (local.get $s)
              (f64.mul (f64.load (i32.add (local.get $w) (local.get $o))) (f64.load (i32.add (local.get $xo) (local.get $o))))))))
        (local.set $s (f64.add (local.get $s) (f64x2.extract_lane 1 (local.get $acc))))
        (local.set $p (f64.div (f64.const 1) (f64.add (f64.const 1) (call $exp (f64.neg (local.get $s))))))
        (local.set $g
          (if (result f64) (i32.eq (i32.load (i32.add (local.get $c) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 1))
            (then (f64.mul (local.get $w1) (f64.sub (local.get $p) (f64.const 1))))
            (else (f64.mul (local.get $w0) (local.get $p)))))
        (if (f64.ne (local.get $g) (f64.const 0))
          (then
            (local.set $vg (f64x2.splat (local.get $g)))
            (local.set $j (i32.const 0))
            (block $ud
              (loop $ul
                (br_if $ud (i32.ge_u (local.get $j) (local.get $pairs)))
                (local.set $o (i32.shl (local.get $j) (i32.const 3)))
                (local.set $vx (v128.load (i32.add (local.get $xo) (local.get $o))))
                (local.set $keep (f64x2.eq (local.get $vx) (v128.const f64x2 0 0)))
                (local.set $vgj (f64x2.mul (local.get $vg) (local.get $vx)))
                (local.set $va (f64x2.add (v128.load (i32.add (local.get $g2) (local.get $o))) (f64x2.mul (local.get $vgj) (local.get $vgj))))
                (local.set $vr (f64x2.sqrt (local.get $va)))
                (local.set $vz (f64x2.sub
                  (f64x2.add (v128.load (i32.add (local.get $z) (local.get $o))) (local.get $vgj))
                  (f64x2.mul (f64x2.mul (f64x2.sub (local.get $vr) (v128.load (i32.add (local.get $sq) (local.get $o)))) (local.get $vinv))
                    (v128.load (i32.add (local.get $w) (local.get $o))))))
                (if (f64.eq (local.get $l1) (f64.const 0))
                  (then
                    (local.set $vw (f64x2.div (f64x2.neg (local.get $vz))
                      (f64x2.add (local.get $vbase) (f64x2.mul (local.get $vr) (local.get $vinv))))))
                  (else
                    ;; 0 when |z| ≤ l1, else −(z − sgn(z)·l1) / (base + √Σg²/α)
                    (local.set $vw (v128.bitselect
                      (v128.const f64x2 0 0)
                      (f64x2.div
                        (f64x2.neg (v128.bitselect
                          (f64x2.sub (local.get $vz) (local.get $vl1))
                          (f64x2.add (local.get $vz) (local.get $vl1))
                          (f64x2.gt (local.get $vz) (v128.const f64x2 0 0))))
                        (f64x2.add (local.get $vbase) (f64x2.mul (local.get $vr) (local.get $vinv))))
                      (f64x2.le (f64x2.abs (local.get $vz)) (local.get $vl1))))))
                (v128.store (i32.add (local.get $z) (local.get $o))
                  (v128.bitselect (v128.load (i32.add (local.get $z) (local.get $o))) (local.get $vz) (local.get $keep)))
                (v128.store (i32.add (local.get $g2) (local.get $o))
                  (v128.bitselect (v128.load (i32.add (local.get $g2) (local.get $o))) (local.get $va) (local.get $keep)))
                (v128.store (i32.add (local.get $sq) (local.get $o))
                  (v128.bitselect (v128.load (i32.add (local.get $sq) (local.get $o))) (local.get $vr) (local.get $keep)))
                (v128.store (i32.add (local.get $w) (local.get $o))
                  (v128.bitselect (v128.load (i32.add (local.get $w) (local.get $o))) (local.get $vw) (local.get $keep)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br $ul)))
            ;; an odd last feature, scalar
            (if (i32.lt_u (local.get $pairs) (local.get $d))
              (then
                (local.set $o (i32.shl (local.get $pairs) (i32.const 3)))
                (local.set $xs (f64.load (i32.add (local.get $xo) (local.get $o))))
                (if (f64.ne (local.get $xs) (f64.const 0))
                  (then
                    (local.set $gs (f64.mul (local.get $g) (local.get $xs)))
                    (local.set $as (f64.add (f64.load (i32.add (local.get $g2) (local.get $o))) (f64.mul (local.get $gs) (local.get $gs))))
                    (local.set $rs (f64.sqrt (local.get $as)))
                    (local.set $zs (f64.sub
                      (f64.add (f64.load (i32.add (local.get $z) (local.get $o))) (local.get $gs))
                      (f64.mul (f64.mul (f64.sub (local.get $rs) (f64.load (i32.add (local.get $sq) (local.get $o)))) (local.get $inv))
                        (f64.load (i32.add (local.get $w) (local.get $o))))))
                    (if (f64.eq (local.get $l1) (f64.const 0))
                      (then (local.set $ws (f64.div (f64.neg (local.get $zs)) (f64.add (local.get $base) (f64.mul (local.get $rs) (local.get $inv))))))
                      (else
                        (if (i32.and (f64.le (local.get $zs) (local.get $l1)) (f64.ge (local.get $zs) (f64.neg (local.get $l1))))
                          (then (local.set $ws (f64.const 0)))
                          (else
                            (local.set $ws (f64.div
                              (f64.neg (if (result f64) (f64.gt (local.get $zs) (f64.const 0))
                                (then (f64.sub (local.get $zs) (local.get $l1)))
                                (else (f64.add (local.get $zs) (local.get $l1)))))
                              (f64.add (local.get $base) (f64.mul (local.get $rs) (local.get $inv)))))))))
                    (f64.store (i32.add (local.get $z) (local.get $o)) (local.get $zs))
                    (f64.store (i32.add (local.get $g2) (local.get $o)) (local.get $as))
                    (f64.store (i32.add (local.get $sq) (local.get $o)) (local.get $rs))
                    (f64.store (i32.add (local.get $w) (local.get $o)) (local.get $ws))))))
            ;; the intercept: its feature is 1, never penalised
            (if (local.get $fit)
              (then
                (local.set $as (f64.add (local.get $bg2) (f64.mul (local.get $g) (local.get $g))))
                (local.set $rs (f64.sqrt (local.get $as)))
                (local.set $bz (f64.sub (f64.add (local.get $bz) (local.get $g))
                  (f64.mul (f64.mul (f64.sub (local.get $rs) (local.get $bsq)) (local.get $inv)) (local.get $bw))))
                (local.set $bg2 (local.get $as))
                (local.set $bsq (local.get $rs))
                (local.set $bw (f64.div (f64.neg (local.get $bz)) (f64.add (local.get $bi) (f64.mul (local.get $rs) (local.get $inv)))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows_loop)))
    (f64.store offset=56 (local.get $io) (local.get $bz))
    (f64.store offset=64 (local.get $io) (local.get $bg2))
    (f64.store offset=72 (local.get $io) (local.get $bsq))
    (f64.store offset=80 (local.get $io) (local.get $bw))
    (i32.const 0)))
