"""The ``unwrap`` PGE: a wrapped interferogram made by another processor -> a sarlake L2_IFG product.

It reads any wrapped interferogram the readers take (GeoTIFF complex, ROI_PAC ``.int``, ISCE2 ``.int``/``.flat``,
GMTSAR ``phase*_ll.grd``, MintPy ``wrapPhase``) with its coherence, multilooks it, optionally filters it,
unwraps it with the interferogram PGE's unwrappers (SNAPHU by default) and writes the interferogram PGE's
product layout: ``unwrapped_phase.tif``, ``connected_components.tif``, ``coherence.tif``, ``amplitude.tif``,
``los_displacement.tif``, ``wrapped_phase.tif``, ``browse.png`` and the met.json.
"""
