"""The service side of placement matching: policy, shortlists, region-wide runs, offers and unmet need.

The optimiser itself is the pure :mod:`matching` library; :mod:`rcc.matching.adapters` turns database
rows into its inputs. Other domains use only :mod:`rcc.matching.interface`."""
