;; freshml: one FTRL-Proximal pass of binary logistic regression over a batch
;; (McMahan et al. 2013, Alg. 1), with WebAssembly SIMD (f64x2): two features
;; per instruction for the dot product, the square roots and the divisions.
;; Mirrors binaryPass in learners/logistic-regression.ts operation for
;; operation, so both give bit-identical states:
;; - the dot product's lane 0 is the JS loop's even accumulator (starting at the
;;   intercept's weight), lane 1 its odd one; an odd last feature joins lane 0;
;; - a feature that is 0 leaves its coordinate exactly as it was (the JS loop
;;   skips it; here the new values are computed and masked out);
;; - e^x is the host's Math.exp.
;;
;; pass(x, c, rows, d, z, g2, sq, w, io) -> 0
;;   x: rows × d row-major f64 features      c: rows i32 class indices (0/1)
;;   z, g2, sq, w: d f64 each (the features' coordinates), updated in place
;;   io: f64 slots [0] w0 (class-0 weight) [1] w1 [2] 1/α [3] base = β/α + l2
;;       [4] l1 [5] fitIntercept [6] intercept base = β/α
;;       [7..10] the intercept's z, g2, sq, w (in/out)
(module
  (import "m" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 1)
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
