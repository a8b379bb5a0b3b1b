(component
  (type $ct (component))
  (import "t" (type (eq $ct))))
