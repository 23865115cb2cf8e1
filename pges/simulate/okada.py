"""Okada (1985) surface displacement of a finite rectangular dislocation, and earthquake scaling laws.

Closed-form surface displacements (Okada 1985, eqs. 25-30) of a rectangular fault of length ``L`` (along
strike) and width ``W`` (down dip) buried in a homogeneous isotropic elastic half-space, for a uniform
strike-slip ``U1``, dip-slip ``U2`` and tensile (opening) ``U3`` dislocation. Vectorised over the
observation points; the fault geometry is scalar. The transformation from a fault centred on ``(0, 0)``
at centroid depth ``depth`` to Okada's frame (origin at the lower edge's first corner, ``x`` along
strike) follows the widely used ``okada85.m`` of F. Beauducel (IPGP).

Conventions: east/north/up in metres; strike clockwise from north (degrees), the fault dips to the right
of the strike direction (Aki & Richards); rake measured in the fault plane from the strike direction,
0 = left-lateral, 180 = right-lateral, 90 = reverse (thrust), -90 = normal.

References:
    Okada, Y. (1985), Surface deformation due to shear and tensile faults in a half-space,
    Bull. Seismol. Soc. Am. 75(4), 1135-1154 (check values: Table 2).
    Wells, D. L. and Coppersmith, K. J. (1994), New empirical relationships among magnitude, rupture
    length, rupture width, rupture area, and surface displacement, Bull. Seismol. Soc. Am. 84(4), 974-1002.
    Hanks, T. C. and Kanamori, H. (1979), A moment magnitude scale, J. Geophys. Res. 84(B5), 2348-2350.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "SHEAR_MODULUS_PA",
    "Mechanism",
    "moment_from_magnitude",
    "okada85",
    "okada85_fault_frame",
    "wells_coppersmith",
]

SHEAR_MODULUS_PA = 3.0e10  # crustal rigidity used to turn seismic moment into slip
Mechanism = Literal["strike-slip", "reverse", "normal"]

# Wells & Coppersmith (1994) Table 2A: log10(X km) = a + b * Mw, subsurface rupture length (RLD) and
# down-dip rupture width (RW), by slip type.
_WC94 = {
    "strike-slip": {"length": (-2.57, 0.62), "width": (-0.76, 0.27)},
    "reverse": {"length": (-2.42, 0.58), "width": (-1.61, 0.41)},
    "normal": {"length": (-1.88, 0.50), "width": (-1.14, 0.35)},
}
# rake and dip typical of each mechanism (Andersonian faulting)
MECHANISM_DEFAULTS: dict[str, tuple[float, float]] = {
    "strike-slip": (0.0, 90.0),  # (rake, dip) degrees; rake 0 = left-lateral
    "reverse": (90.0, 30.0),
    "normal": (-90.0, 60.0),
}


def moment_from_magnitude(mw: float) -> float:
    """Seismic moment ``M0 = 10^(1.5 Mw + 9.1)`` N m (Hanks & Kanamori 1979)."""
    return float(10.0 ** (1.5 * mw + 9.1))


def wells_coppersmith(mw: float, mechanism: Mechanism, shear_modulus_pa: float = SHEAR_MODULUS_PA):
    """Fault length and width (m) from Wells & Coppersmith (1994), and the slip (m) from ``M0 = mu A D``.

    Args:
        mw: moment magnitude.
        mechanism: ``strike-slip``, ``reverse`` or ``normal`` (selects the regression).
        shear_modulus_pa: rigidity ``mu`` (Pa).

    Returns:
        ``(length_m, width_m, slip_m)``.
    """
    a_l, b_l = _WC94[mechanism]["length"]
    a_w, b_w = _WC94[mechanism]["width"]
    length = 1000.0 * 10.0 ** (a_l + b_l * mw)
    width = 1000.0 * 10.0 ** (a_w + b_w * mw)
    slip = moment_from_magnitude(mw) / (shear_modulus_pa * length * width)
    return float(length), float(width), float(slip)


# ------------------------------------------------------------------------------------ Okada (1985)


def _chinnery(f, x, p, q, L, W, cd, sd, nu):
    """Chinnery's notation ``f(xi, eta) ||`` = f(x, p) - f(x, p - W) - f(x - L, p) + f(x - L, p - W)."""
    return (f(x, p, q, cd, sd, nu) - f(x, p - W, q, cd, sd, nu)
            - f(x - L, p, q, cd, sd, nu) + f(x - L, p - W, q, cd, sd, nu))


def _atan_term(xi, eta, q, R):
    out = np.zeros_like(R)
    nz = q != 0
    out[nz] = np.arctan(xi[nz] * eta[nz] / (q[nz] * R[nz]))
    return out


def _I5(xi, eta, q, cd, sd, nu, R, db):
    if cd > 1e-12:
        X = np.sqrt(xi**2 + q**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (1 - 2 * nu) * 2.0 / cd * np.arctan((eta * (X + q * cd) + X * (R + X) * sd) / (xi * (R + X) * cd))
        return np.where(xi == 0, 0.0, out)
    return -(1 - 2 * nu) * xi * sd / (R + db)


def _I4(db, eta, q, cd, sd, nu, R):
    if cd > 1e-12:
        return (1 - 2 * nu) / cd * (np.log(R + db) - sd * np.log(R + eta))
    return -(1 - 2 * nu) * q / (R + db)


def _I3(eta, q, cd, sd, nu, R):
    yb = eta * cd + q * sd
    db = eta * sd - q * cd
    if cd > 1e-12:
        return (1 - 2 * nu) * (yb / (cd * (R + db)) - np.log(R + eta)) + sd / cd * _I4(db, eta, q, cd, sd, nu, R)
    return (1 - 2 * nu) / 2 * (eta / (R + db) + yb * q / (R + db) ** 2 - np.log(R + eta))


def _I2(eta, q, cd, sd, nu, R):
    return (1 - 2 * nu) * (-np.log(R + eta)) - _I3(eta, q, cd, sd, nu, R)


def _I1(xi, eta, q, cd, sd, nu, R):
    db = eta * sd - q * cd
    if cd > 1e-12:
        return (1 - 2 * nu) * (-xi / (cd * (R + db))) - sd / cd * _I5(xi, eta, q, cd, sd, nu, R, db)
    return -(1 - 2 * nu) / 2 * xi * q / (R + db) ** 2


def _R(xi, eta, q):
    return np.sqrt(xi**2 + eta**2 + q**2)


# strike slip, eq. (25)
def _ux_ss(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return xi * q / (R * (R + eta)) + _atan_term(xi, eta, q, R) + _I1(xi, eta, q, cd, sd, nu, R) * sd


def _uy_ss(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return (eta * cd + q * sd) * q / (R * (R + eta)) + q * cd / (R + eta) + _I2(eta, q, cd, sd, nu, R) * sd


def _uz_ss(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    db = eta * sd - q * cd
    return db * q / (R * (R + eta)) + q * sd / (R + eta) + _I4(db, eta, q, cd, sd, nu, R) * sd


# dip slip, eq. (26)
def _ux_ds(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return q / R - _I3(eta, q, cd, sd, nu, R) * sd * cd


def _uy_ds(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return ((eta * cd + q * sd) * q / (R * (R + xi)) + cd * _atan_term(xi, eta, q, R)
            - _I1(xi, eta, q, cd, sd, nu, R) * sd * cd)


def _uz_ds(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    db = eta * sd - q * cd
    return db * q / (R * (R + xi)) + sd * _atan_term(xi, eta, q, R) - _I5(xi, eta, q, cd, sd, nu, R, db) * sd * cd


# tensile, eq. (27)
def _ux_tf(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return q**2 / (R * (R + eta)) - _I3(eta, q, cd, sd, nu, R) * sd**2


def _uy_tf(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    return (-(eta * sd - q * cd) * q / (R * (R + xi)) - sd * (xi * q / (R * (R + eta)) - _atan_term(xi, eta, q, R))
            - _I1(xi, eta, q, cd, sd, nu, R) * sd**2)


def _uz_tf(xi, eta, q, cd, sd, nu):
    R = _R(xi, eta, q)
    db = eta * sd - q * cd
    return ((eta * cd + q * sd) * q / (R * (R + xi)) + cd * (xi * q / (R * (R + eta)) - _atan_term(xi, eta, q, R))
            - _I5(xi, eta, q, cd, sd, nu, R, db) * sd**2)


def okada85_fault_frame(x, y, d, dip_deg, length, width, u1, u2, u3, nu=0.25):
    """Okada's displacements ``(ux, uy, uz)`` in his own frame (the form of his Table 2 check list).

    ``x`` along strike and ``y`` perpendicular to it (m, arrays), ``d`` the depth of the origin, which
    is the lower-left corner of the fault (the fault spans ``0 <= xi <= L``, ``0 <= eta <= W`` up dip),
    ``u1, u2, u3`` strike-slip, dip-slip and tensile dislocations (m), ``nu`` Poisson's ratio.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    dip = np.deg2rad(dip_deg)
    cd, sd = float(np.cos(dip)), float(np.sin(dip))
    if abs(cd) < 1e-12:
        cd = 0.0
    p = y * cd + d * sd
    q = y * sd - d * cd
    out = []
    for fs, fd, ft in ((_ux_ss, _ux_ds, _ux_tf), (_uy_ss, _uy_ds, _uy_tf), (_uz_ss, _uz_ds, _uz_tf)):
        u = np.zeros(x.shape)
        if u1:
            u = u - u1 / (2 * np.pi) * _chinnery(fs, x, p, q, length, width, cd, sd, nu)
        if u2:
            u = u - u2 / (2 * np.pi) * _chinnery(fd, x, p, q, length, width, cd, sd, nu)
        if u3:
            u = u + u3 / (2 * np.pi) * _chinnery(ft, x, p, q, length, width, cd, sd, nu)
        out.append(u)
    return out[0], out[1], out[2]


def okada85(
    east: np.ndarray,
    north: np.ndarray,
    depth_m: float,
    strike_deg: float,
    dip_deg: float,
    length_m: float,
    width_m: float,
    rake_deg: float,
    slip_m: float,
    opening_m: float = 0.0,
    poisson: float = 0.25,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface displacement (m, east/north/up) of a rectangular fault centred on ``(0, 0)``.

    Args:
        east: observation points' east offset from the surface projection of the fault centroid (m).
        north: their north offset (m).
        depth_m: depth of the fault centroid (m, positive down); the top edge must be below the surface.
        strike_deg: strike, clockwise from north; the fault dips to the right of it.
        dip_deg: dip (0-90 degrees).
        length_m: fault length along strike (m).
        width_m: fault width down dip (m).
        rake_deg: slip direction in the fault plane (0 left-lateral, 90 reverse, -90 normal, 180 right-lateral).
        slip_m: slip (m); strike-slip ``U1 = slip cos(rake)``, dip-slip ``U2 = slip sin(rake)``.
        opening_m: tensile dislocation ``U3`` (m).
        poisson: Poisson's ratio of the half-space.

    Returns:
        ``(ue, un, uz)`` in metres, each the broadcast shape of ``east`` and ``north``.
    """
    strike, dip, rake = np.deg2rad(strike_deg), np.deg2rad(dip_deg), np.deg2rad(rake_deg)
    u1, u2 = slip_m * np.cos(rake), slip_m * np.sin(rake)
    # Okada's origin: the lower edge's first corner (Beauducel's okada85.m transformation)
    d = depth_m + np.sin(dip) * width_m / 2
    ec = east + np.cos(strike) * np.cos(dip) * width_m / 2
    nc = north - np.sin(strike) * np.cos(dip) * width_m / 2
    x = np.cos(strike) * nc + np.sin(strike) * ec + length_m / 2
    y = np.sin(strike) * nc - np.cos(strike) * ec + np.cos(dip) * width_m
    ux, uy, uz = okada85_fault_frame(x, y, d, dip_deg, length_m, width_m, u1, u2, opening_m, poisson)
    ue = np.sin(strike) * ux - np.cos(strike) * uy
    un = np.cos(strike) * ux + np.sin(strike) * uy
    return ue, un, uz
