(component
  (import "acme:x/api" (instance (export "f" (func)))))
