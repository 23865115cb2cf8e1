"""The ``simulate`` PGE: a deterministic simulated SAR SLC archive (Sentinel-1 C-band or NISAR L-band) with its truth.

Modules: ``config`` (parameters), ``geometry`` (radar grid, lookups, line of sight), ``okada`` (Okada 1985
rectangular dislocations, magnitude scaling laws), ``deformation`` (sources, time functions, LOS
projection), ``screens`` (turbulent/stratified troposphere, ionosphere, orbital ramps), ``decorrelation``
(temporal, geometric and land-cover decorrelation generated per date), ``artefacts`` (the 11 QA tag
types at intensities 0-3), ``seeds`` (deterministic RNG keys), ``scene`` (one acquisition as arrays),
``pge`` (files and met.json).
"""
