(component
  (type $r (resource (rep i32)))
  (core module $m (func (export "f") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (type $own (own $r))
  (func $f (result $own) (canon lift (core func $i "f")))
  (export "make" (func $f)))
