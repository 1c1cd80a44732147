"""The talent service: candidates, applications through programme stages, yearly targets."""
