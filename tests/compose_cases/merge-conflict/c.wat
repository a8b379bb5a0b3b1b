(component
  (import "acme:x/api@0.2.2" (instance (export "f" (func (param "x" u32))))))
