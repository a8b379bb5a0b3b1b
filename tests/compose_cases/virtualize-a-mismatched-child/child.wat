(component
  (import "wasi:cli/stdout@0.2.12" (instance (export "get-stdout" (func (result u32))))))
