"""Prompts the benchmarks share."""

LOG = "Logbook of the lighthouse, day {k}: the lamp was lit at dusk, the wind came from the west, two ships passed."
# About 600 tokens with SmolLM2's chat template: past 512 keys, where llama.cpp's f16 K takes other paths
LOGBOOK = "You keep the lighthouse logbook below.\n" + "\n".join(LOG.format(k=k) for k in range(1, 23))
