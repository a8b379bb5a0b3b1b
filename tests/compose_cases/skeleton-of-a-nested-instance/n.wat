(component
  (instance $inner)
  (instance $outer (export "inner" (instance $inner)))
  (export "acme:x/outer" (instance $outer)))
