;; Element-wise float32 kernels in WebAssembly SIMD (f32x4), on the memory of the GEMM module
;; (imported as env.memory): the executor's tensors live there (arena.ts), so these run in place
;; on them. Assembled by wabt (`npm run wasm`) into vector.wasm.ts; a test checks that it is fresh.
;;
;; Every function processes n floats: four at a time, then the last n mod 4 one by one. Pointers
;; are byte addresses; no alignment is required.
;;
;; Binary ops, three forms each: <op>_vv (out = a ∘ b), <op>_vs (out = a ∘ s), <op>_sv
;; (out = s ∘ b), for op in add, sub, mul, div. out may be a or b.
;;
;; Activations map src to dst (which may be src): relu (NaN → 0), clip(lo, hi) as min(max(x, lo), hi),
;; leaky_relu(alpha), hard_sigmoid(alpha, beta), hard_swish, and sigmoid and tanh through $exp4.
;;
;; $exp4 is Cephes' expf: x clamped to [-87.33, 88.37], x = n·ln2 + r with n = nearest(x·log2 e)
;; and ln2 split in two parts (r exact to float precision), e^r by its degree-7 Taylor-fitted
;; polynomial (|relative error| < 2 ulp over |r| ≤ ln2/2), times 2^n built in the exponent bits.
;; sigmoid(x) = 1 / (1 + e^-x): absolute error ≤ 3e-7 for every float x. tanh(x) =
;; sign(x)·(1 − 2 / (e^{2|x|} + 1)) with |x| clamped to 9 (tanh 9 rounds to 1 in float32):
;; absolute error ≤ 3e-7. exp(x) = e^{x/2}·e^{x/2} (no clamp in its range: +∞ above 88.72, 0 or
;; a subnormal far below): relative error ≤ 1e-6 wherever the result is a normal float (2.4e-7
;; measured). erf(x) = sign(x)·(1 − (a1·t + … + a5·t⁵)·e^{−x²}), t = 1/(1 + p|x|) (Abramowitz &
;; Stegun 7.1.26, as the JavaScript kernel): absolute error ≤ 1e-6 (5.2e-7 measured). Gelu,
;; x/2·(1 + erf(x/√2)) and its tanh form: error ≤ 1e-6·max(1, |x|).
;; test/kernels/vector.test.ts checks every bound on a dense grid.
(module
  (import "env" "memory" (memory 1))

  ;; ── binary ─────────────────────────────────────────────────────────────────────────────

  (func $add_vv (export "add_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.add (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $sub_vv (export "sub_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $mul_vv (export "mul_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $div_vv (export "div_vv") (param $a i32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.div (f32.load (local.get $a)) (f32.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $add_vs (export "add_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (local.get $v)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.add (f32.load (local.get $a)) (local.get $s)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $sub_vs (export "sub_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (local.get $v)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.sub (f32.load (local.get $a)) (local.get $s)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $mul_vs (export "mul_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (local.get $v)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.mul (f32.load (local.get $a)) (local.get $s)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $div_vs (export "div_vs") (param $a i32) (param $s f32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (local.get $v)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.div (f32.load (local.get $a)) (local.get $s)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $sub_sv (export "sub_sv") (param $s f32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.sub (local.get $v) (v128.load (local.get $b))))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.sub (local.get $s) (f32.load (local.get $b))))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  (func $div_sv (export "div_sv") (param $s f32) (param $b i32) (param $o i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $o) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (v128.store (local.get $o) (f32x4.div (local.get $v) (v128.load (local.get $b))))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
      (f32.store (local.get $o) (f32.div (local.get $s) (f32.load (local.get $b))))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $one))))

  ;; ── activations ────────────────────────────────────────────────────────────────────────
  ;; One loop shape for all: $act4 maps a vector by kind; the tail goes through the same
  ;; function on a vector with the float in lane 0, so both paths round identically.

  ;; e^x for each lane (see the header).
  (func $exp4 (param $x v128) (result v128)
    (local $n v128) (local $r v128) (local $p v128)
    (local.set $x (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654))
                              (v128.const f32x4 88.37626 88.37626 88.37626 88.37626)))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
                             (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $p (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    ;; p·r² + r + 1
    (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
                             (v128.const f32x4 1 1 1 1)))
    ;; · 2^n: n + 127 in the exponent field
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; act(x) for each lane: kind 0 relu, 1 clip, 2 leaky_relu, 3 hard_sigmoid, 4 hard_swish, 5 sigmoid, 6 tanh,
  ;; 7 exp, 8 erf; and one instruction each (exact, as float32 arithmetic rounds them): 9 neg,
  ;; 10 abs, 11 sqrt, 12 reciprocal, 13 floor, 14 ceil, 15 round half to even; 16 gelu (erf),
  ;; 17 gelu (tanh form).
  (func $act4 (param $x v128) (param $kind i32) (param $a v128) (param $b v128) (result v128)
    (local $t v128)
    (block $erf (block $exp (block $tanh (block $sigmoid (block $hard_swish (block $hard_sigmoid (block $leaky (block $clip (block $relu
    (block $gelu_tanh (block $gelu (block $round (block $ceil (block $floor (block $reciprocal (block $sqrt (block $abs (block $neg
      (br_table $relu $clip $leaky $hard_sigmoid $hard_swish $sigmoid $tanh $exp $erf $neg $abs $sqrt $reciprocal $floor $ceil $round $gelu $gelu_tanh (local.get $kind)))
      (return (f32x4.neg (local.get $x))))
      (return (f32x4.abs (local.get $x))))
      (return (f32x4.sqrt (local.get $x))))
      (return (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $x))))
      (return (f32x4.floor (local.get $x))))
      (return (f32x4.ceil (local.get $x))))
      (return (f32x4.nearest (local.get $x))))
      ;; gelu: x/2 · (1 + erf(x/√2))
      (return (f32x4.mul (f32x4.mul (local.get $x) (v128.const f32x4 0.5 0.5 0.5 0.5))
        (f32x4.add (v128.const f32x4 1 1 1 1) (call $erf4 (f32x4.mul (local.get $x) (v128.const f32x4 0.70710678 0.70710678 0.70710678 0.70710678)))))))
      ;; gelu, tanh form: x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))
      (return (f32x4.mul (f32x4.mul (local.get $x) (v128.const f32x4 0.5 0.5 0.5 0.5))
        (f32x4.add (v128.const f32x4 1 1 1 1) (call $tanh4 (f32x4.mul (v128.const f32x4 0.7978845608 0.7978845608 0.7978845608 0.7978845608)
          (f32x4.add (local.get $x) (f32x4.mul (v128.const f32x4 0.044715 0.044715 0.044715 0.044715) (f32x4.mul (local.get $x) (f32x4.mul (local.get $x) (local.get $x)))))))))))
      ;; relu: pmax(0, x) is x when 0 < x, else 0 (NaN → 0)
      (return (f32x4.pmax (v128.const f32x4 0 0 0 0) (local.get $x))))
      ;; clip: pmin(pmax(x, lo), hi) = min(max(x, lo), hi) (a NaN x stays NaN; lo > hi gives hi).
      ;; Clamps use pmin/pmax (one x86 instruction each; min and max, which order NaN and ±0, take many).
      (return (f32x4.pmin (f32x4.pmax (local.get $x) (local.get $a)) (local.get $b))))
      ;; leaky_relu: x < 0 ? a·x : x
      (return (v128.bitselect (f32x4.mul (local.get $x) (local.get $a)) (local.get $x) (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0)))))
      ;; hard_sigmoid: min(max(a·x + b, 0), 1)
      (return (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.mul (local.get $x) (local.get $a)) (local.get $b)) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1))))
      ;; hard_swish: x · min(max(x·(1/6) + 1/2, 0), 1) (ONNX's alpha = 1/6 as a float, no division)
      (return (f32x4.mul (local.get $x)
        (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3)) (v128.const f32x4 0.5 0.5 0.5 0.5)) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))))
      ;; sigmoid: 1 / (1 + e^-x)
      (return (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x)))))))
      (return (call $tanh4 (local.get $x))))
      ;; exp: e^{x/2} squared, so that $exp4's clamp (|x/2| ≤ 87.3) never bites where e^x is finite
      ;; and not far below the normal range; a NaN stays NaN
      (local.set $t (call $exp4 (f32x4.mul (local.get $x) (v128.const f32x4 0.5 0.5 0.5 0.5))))
      (return (f32x4.mul (local.get $t) (local.get $t))))
    (call $erf4 (local.get $x)))

  ;; tanh: sign(x) · (1 − 2 / (e^{2|x|} + 1)), |x| ≤ 9
  (func $tanh4 (param $x v128) (result v128)
    (local $t v128)
    (local.set $t (f32x4.pmin (f32x4.abs (local.get $x)) (v128.const f32x4 9 9 9 9)))
    (local.set $t (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.div (v128.const f32x4 2 2 2 2) (f32x4.add (call $exp4 (f32x4.add (local.get $t) (local.get $t))) (v128.const f32x4 1 1 1 1)))))
    ;; a NaN x keeps its NaN (min(NaN, 9) is NaN, and so is everything after it)
    (v128.or (local.get $t) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; erf: sign(x) · (1 − poly(t) · e^{−x²}), t = 1 / (1 + 0.3275911·|x|) (A&S 7.1.26)
  (func $erf4 (param $x v128) (result v128)
    (local $a v128) (local $t v128) (local $p v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $a) (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911)))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429)) (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $t) (local.get $p)) (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
    (local.set $p (f32x4.mul (local.get $t) (local.get $p)))
    (local.set $t (f32x4.sub (v128.const f32x4 1 1 1 1)
      (f32x4.mul (local.get $p) (call $exp4 (f32x4.neg (f32x4.mul (local.get $a) (local.get $a)))))))
    ;; the sign of x (a NaN x: t is NaN too)
    (v128.or (local.get $t) (v128.and (local.get $x) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))

  ;; dst[i] = act(src[i]) for i < n, with parameters a, b (see $act4 for the kinds).
  (func $activate (export "activate") (param $kind i32) (param $src i32) (param $dst i32) (param $n i32) (param $a f32) (param $b f32)
    (local $end i32) (local $va v128) (local $vb v128) (local $x v128)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $vb (f32x4.splat (local.get $b)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    ;; The piecewise-linear kinds run whole vectors in loops of their own (a call per vector costs
    ;; more than they do); the others call $act4. The tail goes through $act4 for every kind.
    (block $tail
      (block $generic
        (block $hard_swish (block $hard_sigmoid (block $clip (block $relu
          (br_table $relu $clip $generic $hard_sigmoid $hard_swish $generic (local.get $kind)))
          (block $done (loop $vec
            (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
            (v128.store (local.get $dst) (f32x4.pmax (v128.const f32x4 0 0 0 0) (v128.load (local.get $src))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $vec)))
          (br $tail))
          (block $done (loop $vec
            (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
            (v128.store (local.get $dst) (f32x4.pmin (f32x4.pmax (v128.load (local.get $src)) (local.get $va)) (local.get $vb)))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $vec)))
          (br $tail))
          (block $done (loop $vec
            (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
            (v128.store (local.get $dst) (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.mul (v128.load (local.get $src)) (local.get $va)) (local.get $vb))
              (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
            (br $vec)))
          (br $tail))
        (block $done (loop $vec
          (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
          (local.set $x (v128.load (local.get $src)))
          (v128.store (local.get $dst) (f32x4.mul (local.get $x)
            (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3))
              (v128.const f32x4 0.5 0.5 0.5 0.5)) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1))))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (br $vec)))
        (br $tail))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
        (v128.store (local.get $dst) (call $act4 (v128.load (local.get $src)) (local.get $kind) (local.get $va) (local.get $vb)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $vec))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst)
        (f32x4.extract_lane 0 (call $act4 (f32x4.splat (f32.load (local.get $src))) (local.get $kind) (local.get $va) (local.get $vb))))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $one))))
;; ── reductions ─────────────────────────────────────────────────────────────────────────

  ;; dst[p] = scale · Σ src[p·inner + i] over i < inner, for p < planes (global average pooling):
  ;; two f32x4 accumulators, then the lanes, then the tail.
  (func $plane_sums (export "plane_sums") (param $src i32) (param $planes i32) (param $inner i32) (param $dst i32) (param $scale f32)
    (local $end i32) (local $vecEnd i32) (local $acc0 v128) (local $acc1 v128) (local $sum f32)
    (block $planesDone (loop $plane
      (br_if $planesDone (i32.eqz (local.get $planes)))
      (local.set $acc0 (v128.const i32x4 0 0 0 0))
      (local.set $acc1 (v128.const i32x4 0 0 0 0))
      (local.set $end (i32.add (local.get $src) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $vecEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $inner) (i32.const -8)) (i32.const 2))))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $src) (local.get $vecEnd)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $src))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (v128.load offset=16 (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (br $vec)))
      (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
      (local.set $sum (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
                               (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $sum (f32.add (local.get $sum) (f32.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $one)))
      (f32.store (local.get $dst) (f32.mul (local.get $sum) (local.get $scale)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))

  ;; dst[p] = max over i < inner of src[p·inner + i], for p < planes (global max pooling; NaN wins).
  (func $plane_maxes (export "plane_maxes") (param $src i32) (param $planes i32) (param $inner i32) (param $dst i32)
    (local $end i32) (local $vecEnd i32) (local $acc v128) (local $m f32)
    (block $planesDone (loop $plane
      (br_if $planesDone (i32.eqz (local.get $planes)))
      (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $end (i32.add (local.get $src) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $vecEnd (i32.add (local.get $src) (i32.shl (i32.and (local.get $inner) (i32.const -4)) (i32.const 2))))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $src) (local.get $vecEnd)))
        (local.set $acc (f32x4.max (local.get $acc) (v128.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $vec)))
      (local.set $m (f32.max (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                             (f32.max (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $m (f32.max (local.get $m) (f32.load (local.get $src))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $one)))
      (f32.store (local.get $dst) (local.get $m))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))
;; ── max pooling ────────────────────────────────────────────────────────────────────────

  ;; 2-D max pooling of one plane padded with -inf, for a K×K window with horizontal stride 1:
  ;; out[oh·outW + ow] = max over kh, kw < K of in[oh·inStep + kh·inRow + ow + kw] (byte strides
  ;; inRowBytes, inStepBytes). Output columns go four at a time, rows contiguous: the last vector
  ;; of a row spills up to three lanes into the next row (which overwrites them) and, after the
  ;; last row, past the plane; input reads go as far past each row's last window.
  (func $max_pool_s1 (export "max_pool_s1") (param $in i32) (param $inRow i32) (param $inStep i32) (param $out i32) (param $outH i32) (param $outW i32) (param $k i32)
    (local $row i32) (local $src i32) (local $vectors i32) (local $left i32) (local $r i32) (local $kh i32) (local $kw i32) (local $acc v128)
    (local.set $vectors (i32.shr_u (i32.add (local.get $outW) (i32.const 3)) (i32.const 2)))
    (local.set $row (local.get $in))
    (loop $rows
      (local.set $src (local.get $row))
      (local.set $left (local.get $vectors))
      (loop $vec
        (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $r (local.get $src))
        (local.set $kh (local.get $k))
        (loop $taps_h
          (local.set $kw (i32.const 0))
          (loop $taps_w
            (local.set $acc (f32x4.max (local.get $acc) (v128.load (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2))))))
            (br_if $taps_w (i32.lt_u (local.tee $kw (i32.add (local.get $kw) (i32.const 1))) (local.get $k))))
          (local.set $r (i32.add (local.get $r) (local.get $inRow)))
          (br_if $taps_h (local.tee $kh (i32.sub (local.get $kh) (i32.const 1)))))
        (v128.store (local.get $out) (local.get $acc))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br_if $vec (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
      ;; the next output row starts right after this one's outW floats
      (local.set $out (i32.sub (local.get $out) (i32.shl (i32.sub (i32.shl (local.get $vectors) (i32.const 2)) (local.get $outW)) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (local.get $inStep)))
      (br_if $rows (local.tee $outH (i32.sub (local.get $outH) (i32.const 1))))))

  ;; max_pool_s1 with horizontal stride 2: a window column's four inputs are every other float,
  ;; the even lanes of two loads.
  (func $max_pool_s2 (export "max_pool_s2") (param $in i32) (param $inRow i32) (param $inStep i32) (param $out i32) (param $outH i32) (param $outW i32) (param $k i32)
    (local $row i32) (local $src i32) (local $vectors i32) (local $left i32) (local $r i32) (local $kh i32) (local $kw i32) (local $at i32) (local $acc v128)
    (local.set $vectors (i32.shr_u (i32.add (local.get $outW) (i32.const 3)) (i32.const 2)))
    (local.set $row (local.get $in))
    (loop $rows
      (local.set $src (local.get $row))
      (local.set $left (local.get $vectors))
      (loop $vec
        (local.set $acc (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $r (local.get $src))
        (local.set $kh (local.get $k))
        (loop $taps_h
          (local.set $kw (i32.const 0))
          (loop $taps_w
            (local.set $at (i32.add (local.get $r) (i32.shl (local.get $kw) (i32.const 2))))
            (local.set $acc (f32x4.max (local.get $acc)
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $at)) (v128.load offset=16 (local.get $at)))))
            (br_if $taps_w (i32.lt_u (local.tee $kw (i32.add (local.get $kw) (i32.const 1))) (local.get $k))))
          (local.set $r (i32.add (local.get $r) (local.get $inRow)))
          (br_if $taps_h (local.tee $kh (i32.sub (local.get $kh) (i32.const 1)))))
        (v128.store (local.get $out) (local.get $acc))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (br_if $vec (local.tee $left (i32.sub (local.get $left) (i32.const 1)))))
      (local.set $out (i32.sub (local.get $out) (i32.shl (i32.sub (i32.shl (local.get $vectors) (i32.const 2)) (local.get $outW)) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (local.get $inStep)))
      (br_if $rows (local.tee $outH (i32.sub (local.get $outH) (i32.const 1))))))
  ;; max_pool_2x2s2: 2×2 windows at stride 2 over `planes` planes of inH × inW floats (src, planes
  ;; contiguous) into planes of outH × outW (dst), every window inside its plane (2·outH ≤ inH,
  ;; 2·outW ≤ inW): no padded copy. Four outputs per step from two rows of eight inputs (the
  ;; vertical max, then the max of even and odd lanes); the last outW mod 4 one by one.
  (func $max_pool_2x2s2 (export "max_pool_2x2s2") (param $src i32) (param $dst i32) (param $planes i32) (param $inH i32) (param $inW i32) (param $outH i32) (param $outW i32)
    (local $rowBytes i32) (local $r0 i32) (local $r1 i32) (local $oh i32) (local $ow i32) (local $vecEnd i32) (local $m0 v128) (local $m1 v128) (local $planeBytes i32)
    (local.set $rowBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $planeBytes (i32.mul (local.get $rowBytes) (local.get $inH)))
    (local.set $vecEnd (i32.and (local.get $outW) (i32.const -4)))
    (block $planesDone (loop $plane
      (br_if $planesDone (i32.eqz (local.get $planes)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $r0 (i32.add (local.get $src) (i32.mul (i32.shl (local.get $oh) (i32.const 1)) (local.get $rowBytes))))
        (local.set $r1 (i32.add (local.get $r0) (local.get $rowBytes)))
        (local.set $ow (i32.const 0))
        (block $done (loop $vec
          (br_if $done (i32.ge_u (local.get $ow) (local.get $vecEnd)))
          (local.set $m0 (f32x4.max (v128.load (local.get $r0)) (v128.load (local.get $r1))))
          (local.set $m1 (f32x4.max (v128.load offset=16 (local.get $r0)) (v128.load offset=16 (local.get $r1))))
          (v128.store (local.get $dst) (f32x4.max
            (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $m0) (local.get $m1))
            (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $m0) (local.get $m1))))
          (local.set $r0 (i32.add (local.get $r0) (i32.const 32)))
          (local.set $r1 (i32.add (local.get $r1) (i32.const 32)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 4)))
          (br $vec)))
        (block $done (loop $one
          (br_if $done (i32.ge_u (local.get $ow) (local.get $outW)))
          (f32.store (local.get $dst) (f32.max (f32.max (f32.load (local.get $r0)) (f32.load offset=4 (local.get $r0)))
            (f32.max (f32.load (local.get $r1)) (f32.load offset=4 (local.get $r1)))))
          (local.set $r0 (i32.add (local.get $r0) (i32.const 8)))
          (local.set $r1 (i32.add (local.get $r1) (i32.const 8)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $one)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $row)))
      (local.set $src (i32.add (local.get $src) (local.get $planeBytes)))
      (local.set $planes (i32.sub (local.get $planes) (i32.const 1)))
      (br $plane))))

;; ── GEMM packing ───────────────────────────────────────────────────────────────────────

  ;; Packs `panels` B panels of 8 columns × kc rows, depth-major, one after the other from dst
  ;; (the GEMM's layout, see gemm.ts): panel t's element (p, q) is the float at element index
  ;; firsts[t] + rows[p] + q. Panels whose first is negative are skipped (the caller packs them).
  (func $gather_panels (export "gather_panels") (param $panels i32) (param $kc i32) (param $firsts i32) (param $rows i32) (param $dst i32)
    (local $first i32) (local $p i32) (local $row i32) (local $d i32) (local $at i32)
    (block $done (loop $panel
      (br_if $done (i32.eqz (local.get $panels)))
      (local.set $first (i32.load (local.get $firsts)))
      (if (i32.ge_s (local.get $first) (i32.const 0)) (then
        (local.set $row (local.get $rows))
        (local.set $d (local.get $dst))
        (local.set $p (local.get $kc))
        (loop $depth
          (local.set $at (i32.shl (i32.add (local.get $first) (i32.load (local.get $row))) (i32.const 2)))
          (v128.store (local.get $d) (v128.load (local.get $at)))
          (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $at)))
          (local.set $row (i32.add (local.get $row) (i32.const 4)))
          (local.set $d (i32.add (local.get $d) (i32.const 32)))
          (br_if $depth (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))
      (local.set $firsts (i32.add (local.get $firsts) (i32.const 4)))
      (local.set $panels (i32.sub (local.get $panels) (i32.const 1)))
      (br $panel))))
;; gather_panels for `panels` consecutive panels (panel t's first is first + 8t), row by row:
  ;; each depth row's 32·panels bytes are read in order and scattered to the panels. A B matrix
  ;; whose rows lie far apart (a pointwise convolution's input channels, a plane apart) reads
  ;; every cache line once this way; panel by panel, kc lines a plane apart share one cache set
  ;; and each line comes back from L2 for its second panel.
  (func $gather_rows (export "gather_rows") (param $panels i32) (param $kc i32) (param $first i32) (param $rows i32) (param $dst i32)
    (local $at i32) (local $end i32) (local $d i32) (local $panelBytes i32)
    (local.set $panelBytes (i32.shl (local.get $kc) (i32.const 5)))
    (block $done (loop $depth
      (br_if $done (i32.eqz (local.get $kc)))
      (local.set $at (i32.shl (i32.add (local.get $first) (i32.load (local.get $rows))) (i32.const 2)))
      (local.set $end (i32.add (local.get $at) (i32.shl (local.get $panels) (i32.const 5))))
      (local.set $d (local.get $dst))
      (block $row (loop $panel
        (br_if $row (i32.ge_u (local.get $at) (local.get $end)))
        (v128.store (local.get $d) (v128.load (local.get $at)))
        (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $at)))
        (local.set $at (i32.add (local.get $at) (i32.const 32)))
        (local.set $d (i32.add (local.get $d) (local.get $panelBytes)))
        (br $panel)))
      (local.set $rows (i32.add (local.get $rows) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
      (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
      (br $depth))))
;; ── copies ─────────────────────────────────────────────────────────────────────────────

  ;; Copies `rows` rows of `bytes` bytes from src to dst, with row strides srcStride and
  ;; dstStride (bytes): a plane into a padded plane, in one call.
  (func $copy_rows (export "copy_rows") (param $src i32) (param $srcStride i32) (param $dst i32) (param $dstStride i32) (param $rows i32) (param $bytes i32)
    (block $done (loop $row
      (br_if $done (i32.eqz (local.get $rows)))
      (memory.copy (local.get $dst) (local.get $src) (local.get $bytes))
      (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))
;; ── softmax ────────────────────────────────────────────────────────────────────────────

  ;; Softmax of `rows` contiguous rows of n floats from src into dst (which may be src):
  ;; dst = e^(x − max) / Σ e^(x − max), e through $exp4 (relative error of each e < 2 ulp, so each
  ;; output is within a few ulp of the exact softmax).
  (func $softmax_rows (export "softmax_rows") (param $src i32) (param $dst i32) (param $rows i32) (param $n i32)
    (local $i i32) (local $vecEnd i32) (local $end i32) (local $vmax v128) (local $vsum v128) (local $e v128)
    (local $max f32) (local $sum f32) (local $scale f32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      ;; the row's maximum
      (local.set $vmax (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $i (i32.const 0))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $vmax (f32x4.max (local.get $vmax) (v128.load (i32.add (local.get $src) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
      (local.set $max (f32.max (f32.max (f32x4.extract_lane 0 (local.get $vmax)) (f32x4.extract_lane 1 (local.get $vmax)))
                               (f32.max (f32x4.extract_lane 2 (local.get $vmax)) (f32x4.extract_lane 3 (local.get $vmax)))))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $max (f32.max (local.get $max) (f32.load (i32.add (local.get $src) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
      ;; e^(x − max) and their sum
      (local.set $vmax (f32x4.splat (local.get $max)))
      (local.set $vsum (v128.const f32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $e (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $i))) (local.get $vmax))))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (local.get $e))
        (local.set $vsum (f32x4.add (local.get $vsum) (local.get $e)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
      (local.set $sum (f32.add (f32.add (f32x4.extract_lane 0 (local.get $vsum)) (f32x4.extract_lane 1 (local.get $vsum)))
                               (f32.add (f32x4.extract_lane 2 (local.get $vsum)) (f32x4.extract_lane 3 (local.get $vsum)))))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $e (call $exp4 (f32x4.splat (f32.sub (f32.load (i32.add (local.get $src) (local.get $i))) (local.get $max)))))
        (f32.store (i32.add (local.get $dst) (local.get $i)) (f32x4.extract_lane 0 (local.get $e)))
        (local.set $sum (f32.add (local.get $sum) (f32x4.extract_lane 0 (local.get $e))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
      ;; scale by 1 / sum
      (local.set $scale (f32.div (f32.const 1) (local.get $sum)))
      (local.set $vsum (f32x4.splat (local.get $scale)))
      (local.set $i (i32.const 0))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (v128.store (i32.add (local.get $dst) (local.get $i)) (f32x4.mul (v128.load (i32.add (local.get $dst) (local.get $i))) (local.get $vsum)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $bytes)))
        (f32.store (i32.add (local.get $dst) (local.get $i)) (f32.mul (f32.load (i32.add (local.get $dst) (local.get $i))) (local.get $scale)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
      (local.set $src (i32.add (local.get $src) (local.get $bytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $bytes)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))
;; ── resize ─────────────────────────────────────────────────────────────────────────────

  ;; Nearest 2× upsampling of `rows` rows of inW floats: source row r becomes output rows 2r and
  ;; 2r + 1, each element twice (dst[2r][2i] = dst[2r][2i + 1] = src[r][i], same for row 2r + 1).
  (func $nearest_up2 (export "nearest_up2") (param $src i32) (param $dst i32) (param $rows i32) (param $inW i32)
    (local $i i32) (local $vecEnd i32) (local $inBytes i32) (local $outRow i32) (local $v v128) (local $x f32) (local $o i32)
    (local.set $inBytes (i32.shl (local.get $inW) (i32.const 2)))
    (local.set $outRow (i32.shl (local.get $inBytes) (i32.const 1)))
    (local.set $vecEnd (i32.shl (i32.and (local.get $inW) (i32.const -4)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $i (i32.const 0))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $vecEnd)))
        (local.set $v (v128.load (i32.add (local.get $src) (local.get $i))))
        (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1))))
        (v128.store (local.get $o) (i8x16.shuffle 0 1 2 3 0 1 2 3 4 5 6 7 4 5 6 7 (local.get $v) (local.get $v)))
        (v128.store offset=16 (local.get $o) (i8x16.shuffle 8 9 10 11 8 9 10 11 12 13 14 15 12 13 14 15 (local.get $v) (local.get $v)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $vec)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $i) (local.get $inBytes)))
        (local.set $x (f32.load (i32.add (local.get $src) (local.get $i))))
        (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1))))
        (f32.store (local.get $o) (local.get $x))
        (f32.store offset=4 (local.get $o) (local.get $x))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $one)))
      (memory.copy (i32.add (local.get $dst) (local.get $outRow)) (local.get $dst) (local.get $outRow))
      (local.set $src (i32.add (local.get $src) (local.get $inBytes)))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $outRow) (i32.const 1))))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))
;; ── strided gather ──────────────────────────────────────────────────────────────────────

  ;; gather_2d: dst[i·cols + j] = src[i·rowStride + j·colStride] (byte strides) for i < rows,
  ;; j < cols: a transposed plane (Transpose, once its axes are merged) into contiguous floats.
  (func $gather_2d (export "gather_2d") (param $src i32) (param $rowStride i32) (param $colStride i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $s i32) (local $left i32)
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $s (local.get $src))
      (local.set $left (local.get $cols))
      (block $done (loop $one
        (br_if $done (i32.eqz (local.get $left)))
        (f32.store (local.get $dst) (f32.load (local.get $s)))
        (local.set $s (i32.add (local.get $s) (local.get $colStride)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (br $one)))
      (local.set $src (i32.add (local.get $src) (local.get $rowStride)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

;; ── fill ───────────────────────────────────────────────────────────────────────────────

  ;; fill: n floats at dst set to value (memory.fill for +0; whole vectors, then single floats,
  ;; otherwise). JavaScript's fill on the module's shared memory is several times slower.
  (func $fill (export "fill") (param $dst i32) (param $n i32) (param $value f32)
    (local $end i32) (local $v v128)
    (if (i32.eqz (i32.reinterpret_f32 (local.get $value))) (then
      (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
      (return)))
    (local.set $v (f32x4.splat (local.get $value)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $vec
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (v128.store (local.get $dst) (local.get $v))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vec)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done (loop $one
      (br_if $done (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (local.get $value))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $one))))

;; ── convolution input ──────────────────────────────────────────────────────────────────

  ;; phase_rows: `rows` input rows of `width` floats (src, row stride srcRow bytes) into a padded
  ;; plane split into `stride` phases (dst, row stride dstRow bytes, phase q at q·phaseBytes):
  ;; input column iw lands in padded column iw + padBegin, which goes to phase (iw + padBegin) mod
  ;; stride at position floor((iw + padBegin) / stride) (see im2colMatrix in conv.ts).
  (func $phase_rows (export "phase_rows") (param $src i32) (param $srcRow i32) (param $dst i32) (param $dstRow i32) (param $rows i32) (param $width i32) (param $stride i32) (param $padBegin i32) (param $phaseBytes i32)
    (local $q i32) (local $iw i32) (local $to i32) (local $first i32)
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $q (i32.const 0))
      (loop $phase
        ;; the first padded column ≥ padBegin that is ≡ q (mod stride)
        (local.set $first (i32.add (local.get $padBegin)
          (i32.rem_u (i32.add (i32.sub (local.get $q) (i32.rem_u (local.get $padBegin) (local.get $stride))) (local.get $stride)) (local.get $stride))))
        (local.set $iw (i32.sub (local.get $first) (local.get $padBegin)))
        (local.set $to (i32.add (i32.add (local.get $dst) (i32.mul (local.get $q) (local.get $phaseBytes)))
          (i32.shl (i32.div_u (i32.sub (local.get $first) (local.get $q)) (local.get $stride)) (i32.const 2))))
        (block $done (loop $one
          (br_if $done (i32.ge_u (local.get $iw) (local.get $width)))
          (f32.store (local.get $to) (f32.load (i32.add (local.get $src) (i32.shl (local.get $iw) (i32.const 2)))))
          (local.set $to (i32.add (local.get $to) (i32.const 4)))
          (local.set $iw (i32.add (local.get $iw) (local.get $stride)))
          (br $one)))
        (br_if $phase (i32.lt_u (local.tee $q (i32.add (local.get $q) (i32.const 1))) (local.get $stride))))
      (local.set $src (i32.add (local.get $src) (local.get $srcRow)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstRow)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

;; ── transposed convolution ──────────────────────────────────────────────────────────────

  ;; scatter_add_rows: for r < rows, i < count: dst[r·dstRow + i·step] += src[r·srcRow + i]
  ;; (byte strides): one kernel tap's column block added into the output plane (col2im).
  (func $scatter_add_rows (export "scatter_add_rows") (param $src i32) (param $srcRow i32) (param $dst i32) (param $dstRow i32) (param $rows i32) (param $count i32) (param $step i32)
    (local $s i32) (local $d i32) (local $left i32)
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      (local.set $left (local.get $count))
      (block $done (loop $one
        (br_if $done (i32.eqz (local.get $left)))
        (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (local.set $d (i32.add (local.get $d) (local.get $step)))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (br $one)))
      (local.set $src (i32.add (local.get $src) (local.get $srcRow)))
      (local.set $dst (i32.add (local.get $dst) (local.get $dstRow)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))
;; ── per-row scalars ────────────────────────────────────────────────────────────────────

  ;; affine_rows: o = a·scale[r] + shift[r] over `rows` rows of n floats (the per-channel affine
  ;; map of inference BatchNormalization), scales and shifts one float per row. o may be a.
  (func $affine_rows (export "affine_rows") (param $a i32) (param $scales i32) (param $shifts i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $k f32) (local $c f32) (local $vk v128) (local $vc v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $k (f32.load (local.get $scales)))
      (local.set $c (f32.load (local.get $shifts)))
      (local.set $vk (f32x4.splat (local.get $k)))
      (local.set $vc (f32x4.splat (local.get $c)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.add (f32x4.mul (v128.load (local.get $a)) (local.get $vk)) (local.get $vc)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.add (f32.mul (f32.load (local.get $a)) (local.get $k)) (local.get $c)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
      (local.set $shifts (i32.add (local.get $shifts) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  ;; <op>_rows: for r < rows, out[r·n + i] = a[r·n + i] ∘ s[r] (a per-channel scale or shift of
  ;; NCHW planes in one call); <op>_rows_sv: s[r] ∘ a[r·n + i]. Rows are contiguous.

  (func $add_rows (export "add_rows") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.add (f32.load (local.get $a)) (local.get $x)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  (func $sub_rows (export "sub_rows") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.sub (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.sub (f32.load (local.get $a)) (local.get $x)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  (func $sub_rows_sv (export "sub_rows_sv") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.sub (local.get $v) (v128.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.sub (local.get $x) (f32.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  (func $mul_rows (export "mul_rows") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.mul (f32.load (local.get $a)) (local.get $x)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  (func $div_rows (export "div_rows") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.div (v128.load (local.get $a)) (local.get $v)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.div (f32.load (local.get $a)) (local.get $x)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))

  (func $div_rows_sv (export "div_rows_sv") (param $a i32) (param $s i32) (param $o i32) (param $rows i32) (param $n i32)
    (local $end i32) (local $x f32) (local $v v128) (local $vecBytes i32) (local $tailBytes i32)
    (local.set $vecBytes (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $tailBytes (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2)))
    (block $rowsDone (loop $row
      (br_if $rowsDone (i32.eqz (local.get $rows)))
      (local.set $x (f32.load (local.get $s)))
      (local.set $v (f32x4.splat (local.get $x)))
      (local.set $end (i32.add (local.get $o) (local.get $vecBytes)))
      (block $done (loop $vec
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (local.get $o) (f32x4.div (local.get $v) (v128.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $vec)))
      (local.set $end (i32.add (local.get $end) (local.get $tailBytes)))
      (block $done (loop $one
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (local.get $o) (f32.div (local.get $x) (f32.load (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $one)))
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $row))))
)
