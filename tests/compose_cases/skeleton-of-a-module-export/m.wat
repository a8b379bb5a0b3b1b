(component
  (core module $m)
  (export "m" (core module $m)))
