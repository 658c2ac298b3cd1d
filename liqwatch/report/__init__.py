"""`liqwatch report`: collect (store → Inputs) → build (Inputs → Report, pure) → render (md/html/json)."""
