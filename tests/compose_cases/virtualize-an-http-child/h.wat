(component
  (instance $h)
  (export "wasi:http/incoming-handler@0.2.12" (instance $h)))
