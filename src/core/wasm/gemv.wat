;; freshml: linear scores of many rows against one weight vector, with WebAssembly
;; SIMD (f64x2), summed per row exactly as kernels.ts `dot` sums (so bit for bit the
;; same scores as the JS loop and as a loop over dot):
;;   s0..s3 accumulate the products of columns j ≡ 0..3 (mod 4) over whole groups of
;;   four, the remaining columns go into s0 in order, and the row's score is
;;   b0 + ((s0 + s1) + (s2 + s3)).
;; Here (s0, s1) and (s2, s3) are the two lanes of two f64x2 accumulators, and two
;; rows go at once, sharing each weight load. WebAssembly never fuses a multiply
;; and an add, so every product and sum rounds as in JS.
;;
;; gemv(x, rows, d, w, b0, out, stride)
;;   x: rows × d row-major f64    w: d f64    out: row i's score at out + 8·i·stride
;;
;; gauss(x, rows, d, mean, invVar, base, k, out): Gaussian naive Bayes joint
;; log-likelihoods, out[i·k + c] = base[c] − 0.5·(s0 + s1), where s0 and s1 sum
;; (x − mean)²·invVar over the even and the odd columns j of row i and class c's
;; row of `mean` and `invVar` (k × d), a last odd column going into s0: the order of
;; gaussian-nb.ts jointLogLikelihood, with (s0, s1) the lanes of one f64x2.
(module
  (memory (export "memory") 1)
  (func (export "gemv") (param $x i32) (param $rows i32) (param $d i32) (param $w i32) (param $b0 f64) (param $out i32) (param $stride i32)
    (local $i i32) (local $op i32) (local $j i32) (local $d4 i32) (local $rowBytes i32) (local $p0 i32) (local $p1 i32) (local $wp i32)
    (local $a01 v128) (local $a23 v128) (local $c01 v128) (local $c23 v128) (local $w01 v128) (local $w23 v128)
    (local $s0 f64) (local $t0 f64) (local $wj f64)
    (local.set $d4 (i32.and (local.get $d) (i32.const -4)))
    (local.set $stride (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $op (local.get $out))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (local.set $i (i32.const 0))
    (local.set $p0 (local.get $x))
    (block $done2
      (loop $rows2
        (br_if $done2 (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $rows)))
        (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $a01 (v128.const f64x2 0 0))
        (local.set $a23 (v128.const f64x2 0 0))
        (local.set $c01 (v128.const f64x2 0 0))
        (local.set $c23 (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $d4done
          (loop $d4loop
            (br_if $d4done (i32.ge_u (local.get $j) (local.get $d4)))
            (local.set $wp (i32.add (local.get $w) (i32.shl (local.get $j) (i32.const 3))))
            (local.set $w01 (v128.load (local.get $wp)))
            (local.set $w23 (v128.load offset=16 (local.get $wp)))
            (local.set $wp (i32.shl (local.get $j) (i32.const 3)))
            (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (v128.load (i32.add (local.get $p0) (local.get $wp))) (local.get $w01))))
            (local.set $a23 (f64x2.add (local.get $a23) (f64x2.mul (v128.load offset=16 (i32.add (local.get $p0) (local.get $wp))) (local.get $w23))))
            (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (v128.load (i32.add (local.get $p1) (local.get $wp))) (local.get $w01))))
            (local.set $c23 (f64x2.add (local.get $c23) (f64x2.mul (v128.load offset=16 (i32.add (local.get $p1) (local.get $wp))) (local.get $w23))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $d4loop)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $a01)))
        (local.set $t0 (f64x2.extract_lane 0 (local.get $c01)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $wp (i32.shl (local.get $j) (i32.const 3)))
            (local.set $wj (f64.load (i32.add (local.get $w) (local.get $wp))))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (i32.add (local.get $p0) (local.get $wp))) (local.get $wj))))
            (local.set $t0 (f64.add (local.get $t0) (f64.mul (f64.load (i32.add (local.get $p1) (local.get $wp))) (local.get $wj))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (f64.store (local.get $op)
          (f64.add (local.get $b0)
            (f64.add (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $a01)))
                     (f64.add (f64x2.extract_lane 0 (local.get $a23)) (f64x2.extract_lane 1 (local.get $a23))))))
        (local.set $op (i32.add (local.get $op) (local.get $stride)))
        (f64.store (local.get $op)
          (f64.add (local.get $b0)
            (f64.add (f64.add (local.get $t0) (f64x2.extract_lane 1 (local.get $c01)))
                     (f64.add (f64x2.extract_lane 0 (local.get $c23)) (f64x2.extract_lane 1 (local.get $c23))))))
        (local.set $p0 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $op (i32.add (local.get $op) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows2)))
    ;; an odd last row
    (if (i32.lt_u (local.get $i) (local.get $rows))
      (then
        (local.set $a01 (v128.const f64x2 0 0))
        (local.set $a23 (v128.const f64x2 0 0))
        (local.set $j (i32.const 0))
        (block $d4done
          (loop $d4loop
            (br_if $d4done (i32.ge_u (local.get $j) (local.get $d4)))
            (local.set $wp (i32.shl (local.get $j) (i32.const 3)))
            (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (v128.load (i32.add (local.get $p0) (local.get $wp))) (v128.load (i32.add (local.get $w) (local.get $wp))))))
            (local.set $a23 (f64x2.add (local.get $a23) (f64x2.mul (v128.load offset=16 (i32.add (local.get $p0) (local.get $wp))) (v128.load offset=16 (i32.add (local.get $w) (local.get $wp))))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $d4loop)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $a01)))
        (block $tdone
          (loop $tail
            (br_if $tdone (i32.ge_u (local.get $j) (local.get $d)))
            (local.set $wp (i32.shl (local.get $j) (i32.const 3)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (i32.add (local.get $p0) (local.get $wp))) (f64.load (i32.add (local.get $w) (local.get $wp))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tail)))
        (f64.store (local.get $op)
          (f64.add (local.get $b0)
            (f64.add (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $a01)))
                     (f64.add (f64x2.extract_lane 0 (local.get $a23)) (f64x2.extract_lane 1 (local.get $a23)))))))))
  (func (export "gauss") (param $x i32) (param $rows i32) (param $d i32) (param $mean i32) (param $inv i32)
      (param $base i32) (param $k i32) (param $out i32)
    (local $i i32) (local $c i32) (local $j i32) (local $d2 i32) (local $rowBytes i32) (local $p i32) (local $o i32) ;; j, d2: bytes
    (local $mc i32) (local $ic i32) (local $acc v128) (local $v v128) (local $s0 f64) (local $t f64)
    (local.set $d2 (i32.shl (i32.and (local.get $d) (i32.const -2)) (i32.const 3)))
    (local.set $rowBytes (i32.shl (local.get $d) (i32.const 3)))
    (local.set $p (local.get $x))
    (local.set $o (local.get $out))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $c (i32.const 0))
        (local.set $mc (local.get $mean))
        (local.set $ic (local.get $inv))
        (block $classesDone
          (loop $classes
            (br_if $classesDone (i32.ge_u (local.get $c) (local.get $k)))
            (local.set $acc (v128.const f64x2 0 0))
            (local.set $j (i32.const 0))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.ge_u (local.get $j) (local.get $d2)))
                (local.set $v (f64x2.sub (v128.load (i32.add (local.get $p) (local.get $j)))
                                         (v128.load (i32.add (local.get $mc) (local.get $j)))))
                (local.set $acc (f64x2.add (local.get $acc)
                  (f64x2.mul (f64x2.mul (local.get $v) (local.get $v)) (v128.load (i32.add (local.get $ic) (local.get $j))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $pairs)))
            (local.set $s0 (f64x2.extract_lane 0 (local.get $acc)))
            (if (i32.lt_u (local.get $j) (local.get $rowBytes))
              (then
                (local.set $t (f64.sub (f64.load (i32.add (local.get $p) (local.get $j))) (f64.load (i32.add (local.get $mc) (local.get $j)))))
                (local.set $s0 (f64.add (local.get $s0)
                  (f64.mul (f64.mul (local.get $t) (local.get $t)) (f64.load (i32.add (local.get $ic) (local.get $j))))))))
            (f64.store (local.get $o)
              (f64.sub (f64.load (i32.add (local.get $base) (i32.shl (local.get $c) (i32.const 3))))
                       (f64.mul (f64.const 0.5) (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $acc))))))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (local.set $mc (i32.add (local.get $mc) (local.get $rowBytes)))
            (local.set $ic (i32.add (local.get $ic) (local.get $rowBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $classes)))
        (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rowsLoop)))))
