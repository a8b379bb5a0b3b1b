(component
  (type $r (resource (rep i32)))
  (type $own (own $r))
  (import "acme:x/api" (instance
    (alias outer 1 $own (type $o))
    (export "make" (func (result $o))))))
