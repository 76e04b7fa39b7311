;; freshml: per-class shifted sums of one batch, with WebAssembly SIMD (f64x2).
;;
;; moments(x, cls, rows, d, shift, s1, s2, counts):
;;   for each row i of class c = cls[i]:  z = x[i] − shift[c]
;;   s1[c] += z;  s2[c] += z²;  counts[c] += 1
;; x: rows × d f64, cls: rows i32, shift/s1/s2: classes × d f64, counts: classes f64.
;; Mirrors batchMoments in gaussian-nb.ts (which then turns the sums into means
;; and centred sums of squares).
(module
  (memory (export "memory") 1)
  (func (export "moments") (param $x i32) (param $cls i32) (param $rows i32) (param $d i32)
    (param $shift i32) (param $s1 i32) (param $s2 i32) (param $counts i32)
    (local $i i32) (local $k i32) (local $c i32) (local $stride i32)
    (local $xo i32) (local $co i32) (local $o i32) (local $p i32)
    (local $z v128) (local $zs f64)
    (local.set $stride (i32.shl (local.get $d) (i32.const 3)))
    (local.set $i (i32.const 0))
    (block $done
      (loop $rows_loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $c (i32.load (i32.add (local.get $cls) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $p (i32.add (local.get $counts) (i32.shl (local.get $c) (i32.const 3))))
        (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.const 1)))
        (local.set $xo (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $co (i32.mul (local.get $c) (local.get $stride)))
        (local.set $k (i32.const 0))
        (block $kdone
          (loop $k_loop
            (br_if $kdone (i32.gt_u (i32.add (local.get $k) (i32.const 2)) (local.get $d)))
            (local.set $o (i32.add (local.get $co) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $z (f64x2.sub
              (v128.load (i32.add (local.get $xo) (i32.shl (local.get $k) (i32.const 3))))
              (v128.load (i32.add (local.get $shift) (local.get $o)))))
            (local.set $p (i32.add (local.get $s1) (local.get $o)))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (local.get $z)))
            (local.set $p (i32.add (local.get $s2) (local.get $o)))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (f64x2.mul (local.get $z) (local.get $z))))
            (local.set $k (i32.add (local.get $k) (i32.const 2)))
            (br $k_loop)))
        (if (i32.lt_u (local.get $k) (local.get $d))
          (then
            (local.set $o (i32.add (local.get $co) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $zs (f64.sub
              (f64.load (i32.add (local.get $xo) (i32.shl (local.get $k) (i32.const 3))))
              (f64.load (i32.add (local.get $shift) (local.get $o)))))
            (local.set $p (i32.add (local.get $s1) (local.get $o)))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $zs)))
            (local.set $p (i32.add (local.get $s2) (local.get $o)))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (f64.mul (local.get $zs) (local.get $zs))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows_loop)))))
