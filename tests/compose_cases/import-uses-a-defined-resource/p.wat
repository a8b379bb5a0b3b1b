(component
  (type $r (resource (rep i32)))
  (instance $t (export "r" (type $r)))
  (export "acme:x/types" (instance $t)))
