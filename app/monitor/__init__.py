"""Resource gauges (CPU per core, memory, worker RSS, live workers) with sparklines."""
