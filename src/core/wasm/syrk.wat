;; freshml: upper triangle of Zᵀ Z with WebAssembly SIMD (f64x2).
;;
;; syrk(z, rows, d, s): S[j][k] += Σ_i Z[i][j]·Z[i][k] for k ≥ j, over the rows
;; in whole blocks of four (rows & ~3) and the rows of S in pairs (d & ~1).
;; The caller finishes the remainders (see syrk.ts). z and s are byte offsets
;; into this module's memory; both matrices are row-major f64.
;;
;; Register block: two rows of S against four rows of Z. Each k step loads four
;; pairs of Z values and updates two pairs of S in each of the two rows: 16
;; multiply-adds per 8 vector memory operations.
(module
  (memory (export "memory") 1)
  (func (export "syrk") (param $z i32) (param $rows i32) (param $d i32) (param $s i32)
    (local $stride i32) (local $rows4 i32) (local $jend i32)
    (local $i i32) (local $j i32) (local $k i32) (local $p i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $r0 i32) (local $r1 i32) (local $jo i32) (local $ko i32)
    (local $a0 f64) (local $a1 f64) (local $a2 f64) (local $a3 f64)
    (local $b0 f64) (local $b1 f64) (local $b2 f64) (local $b3 f64)
    (local $va0 v128) (local $va1 v128) (local $va2 v128) (local $va3 v128)
    (local $vb0 v128) (local $vb1 v128) (local $vb2 v128) (local $vb3 v128)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128)
    (local $w0 f64) (local $w1 f64) (local $w2 f64) (local $w3 f64)
    (local.set $stride (i32.shl (local.get $d) (i32.const 3)))
    (local.set $rows4 (i32.and (local.get $rows) (i32.const -4)))
    (local.set $jend (i32.and (local.get $d) (i32.const -2)))
    (local.set $i (i32.const 0))
    (block $rows_done
      (loop $rows_loop
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows4)))
        (local.set $o0 (i32.add (local.get $z) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $o1 (i32.add (local.get $o0) (local.get $stride)))
        (local.set $o2 (i32.add (local.get $o1) (local.get $stride)))
        (local.set $o3 (i32.add (local.get $o2) (local.get $stride)))
        (local.set $j (i32.const 0))
        (block $j_done
          (loop $j_loop
            (br_if $j_done (i32.ge_u (local.get $j) (local.get $jend)))
            (local.set $jo (i32.shl (local.get $j) (i32.const 3)))
            (local.set $a0 (f64.load (i32.add (local.get $o0) (local.get $jo))))
            (local.set $a1 (f64.load (i32.add (local.get $o1) (local.get $jo))))
            (local.set $a2 (f64.load (i32.add (local.get $o2) (local.get $jo))))
            (local.set $a3 (f64.load (i32.add (local.get $o3) (local.get $jo))))
            (local.set $b0 (f64.load offset=8 (i32.add (local.get $o0) (local.get $jo))))
            (local.set $b1 (f64.load offset=8 (i32.add (local.get $o1) (local.get $jo))))
            (local.set $b2 (f64.load offset=8 (i32.add (local.get $o2) (local.get $jo))))
            (local.set $b3 (f64.load offset=8 (i32.add (local.get $o3) (local.get $jo))))
            (local.set $va0 (f64x2.splat (local.get $a0)))
            (local.set $va1 (f64x2.splat (local.get $a1)))
            (local.set $va2 (f64x2.splat (local.get $a2)))
            (local.set $va3 (f64x2.splat (local.get $a3)))
            (local.set $vb0 (f64x2.splat (local.get $b0)))
            (local.set $vb1 (f64x2.splat (local.get $b1)))
            (local.set $vb2 (f64x2.splat (local.get $b2)))
            (local.set $vb3 (f64x2.splat (local.get $b3)))
            (local.set $r0 (i32.add (local.get $s) (i32.mul (local.get $j) (local.get $stride))))
            (local.set $r1 (i32.add (local.get $r0) (local.get $stride)))
            ;; S[j][j] += Σ a²  (the one element of row j left of the shared k loop)
            (local.set $p (i32.add (local.get $r0) (local.get $jo)))
            (f64.store (local.get $p)
              (f64.add (f64.load (local.get $p))
                (f64.add
                  (f64.add (f64.mul (local.get $a0) (local.get $a0)) (f64.mul (local.get $a1) (local.get $a1)))
                  (f64.add (f64.mul (local.get $a2) (local.get $a2)) (f64.mul (local.get $a3) (local.get $a3))))))
            ;; k from j+1: row j gets its off-diagonal, row j+1 starts at its diagonal.
            (local.set $k (i32.add (local.get $j) (i32.const 1)))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.gt_u (i32.add (local.get $k) (i32.const 2)) (local.get $d)))
                (local.set $ko (i32.shl (local.get $k) (i32.const 3)))
                (local.set $z0 (v128.load (i32.add (local.get $o0) (local.get $ko))))
                (local.set $z1 (v128.load (i32.add (local.get $o1) (local.get $ko))))
                (local.set $z2 (v128.load (i32.add (local.get $o2) (local.get $ko))))
                (local.set $z3 (v128.load (i32.add (local.get $o3) (local.get $ko))))
                (local.set $p (i32.add (local.get $r0) (local.get $ko)))
                (v128.store (local.get $p)
                  (f64x2.add (v128.load (local.get $p))
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $va0) (local.get $z0)) (f64x2.mul (local.get $va1) (local.get $z1)))
                      (f64x2.add (f64x2.mul (local.get $va2) (local.get $z2)) (f64x2.mul (local.get $va3) (local.get $z3))))))
                (local.set $p (i32.add (local.get $r1) (local.get $ko)))
                (v128.store (local.get $p)
                  (f64x2.add (v128.load (local.get $p))
                    (f64x2.add
                      (f64x2.add (f64x2.mul (local.get $vb0) (local.get $z0)) (f64x2.mul (local.get $vb1) (local.get $z1)))
                      (f64x2.add (f64x2.mul (local.get $vb2) (local.get $z2)) (f64x2.mul (local.get $vb3) (local.get $z3))))))
                (local.set $k (i32.add (local.get $k) (i32.const 2)))
                (br $k_loop)))
            ;; An odd last column: one scalar step for both rows.
            (if (i32.lt_u (local.get $k) (local.get $d))
              (then
                (local.set $ko (i32.shl (local.get $k) (i32.const 3)))
                (local.set $w0 (f64.load (i32.add (local.get $o0) (local.get $ko))))
                (local.set $w1 (f64.load (i32.add (local.get $o1) (local.get $ko))))
                (local.set $w2 (f64.load (i32.add (local.get $o2) (local.get $ko))))
                (local.set $w3 (f64.load (i32.add (local.get $o3) (local.get $ko))))
                (local.set $p (i32.add (local.get $r0) (local.get $ko)))
                (f64.store (local.get $p)
                  (f64.add (f64.load (local.get $p))
                    (f64.add
                      (f64.add (f64.mul (local.get $a0) (local.get $w0)) (f64.mul (local.get $a1) (local.get $w1)))
                      (f64.add (f64.mul (local.get $a2) (local.get $w2)) (f64.mul (local.get $a3) (local.get $w3))))))
                (local.set $p (i32.add (local.get $r1) (local.get $ko)))
                (f64.store (local.get $p)
                  (f64.add (f64.load (local.get $p))
                    (f64.add
                      (f64.add (f64.mul (local.get $b0) (local.get $w0)) (f64.mul (local.get $b1) (local.get $w1)))
                      (f64.add (f64.mul (local.get $b2) (local.get $w2)) (f64.mul (local.get $b3) (local.get $w3))))))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $j_loop)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows_loop)))))
