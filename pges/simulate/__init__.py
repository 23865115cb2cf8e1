"""The ``simulate`` PGE: a deterministic simulated Sentinel-1 SLC archive with its truth.

Modules: ``config`` (parameters), ``geometry`` (radar grid, lookups, line of sight), ``deformation``
(surface-displacement sources), ``screens`` (atmospheric phase screens), ``seeds`` (deterministic RNG keys),
``scene`` (one acquisition as arrays), ``pge`` (files and met.json).
"""
