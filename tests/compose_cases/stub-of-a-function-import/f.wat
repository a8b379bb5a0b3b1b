(component
  (import "f" (func)))
