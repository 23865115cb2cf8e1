"""The ``interferogram`` PGE: two coregistered SLCs -> a geocoded, unwrapped interferogram.

Steps, each an array-in/array-out module: ``form`` (interferogram + multilook + coherence, one fused
kernel), ``goldstein`` (adaptive filter), ``unwrap`` (SNAPHU; a registry for other unwrappers),
``reference`` (reference point), ``geocode`` (radar grid -> lat/lon grid), ``browse`` (PNG). ``inputs``
reads and checks the SLC pair, ``naming`` makes the ARIA-style product id, ``pge`` writes the product.
"""
