(component
  (import "c" (component)))
