(component
  (import "acme:x/types" (instance $types (export "r" (type (sub resource)))))
  (alias export $types "r" (type $r))
  (import "acme:x/api" (instance
    (alias outer 1 $r (type $r))
    (type $own (own $r))
    (export "make" (func (result $own))))))
