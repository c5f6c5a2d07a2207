"""Initial-mass-function conversion factors to the Kroupa (2001) IMF.

Boardman et al. (2022, section 2.1) work in the Kroupa IMF throughout. Stellar masses
and mass densities computed for another IMF are multiplied by a constant factor:

- Pipe3D mass densities (Salpeter 1955 IMF): times :data:`SALPETER_TO_KROUPA` = 0.62.
- GSWLC-2X total stellar masses (Chabrier 2003 IMF): times :data:`CHABRIER_TO_KROUPA`
  = 1.06, i.e. ``log M*`` + log10(1.06) = + 0.0253 dex.

Both factors are those stated in the paper, which cites Salim et al. (2007),
Elbaz et al. (2007), Zahid et al. (2012) and Speagle et al. (2014) for them. The
Kennicutt et al. (2009) Halpha SFR calibration already assumes a Kroupa IMF.

References
----------
.. [1] Boardman, N., et al. 2022, MNRAS, section 2.1
.. [2] Salim, S., et al. 2007, ApJS, 173, 267
.. [3] Elbaz, D., et al. 2007, A&A, 468, 33
.. [4] Zahid, H. J., et al. 2012, ApJ, 757, 54
.. [5] Speagle, J. S., et al. 2014, ApJS, 214, 15
"""

__all__ = ["CHABRIER_TO_KROUPA", "SALPETER_TO_KROUPA"]

#: Multiply a Salpeter (1955) IMF stellar mass (or mass density) by this to get the
#: Kroupa (2001) value (Boardman et al. 2022, section 2.1; Salim et al. 2007;
#: Elbaz et al. 2007; Zahid et al. 2012; Speagle et al. 2014).
SALPETER_TO_KROUPA = 0.62

#: Multiply a Chabrier (2003) IMF stellar mass by this to get the Kroupa (2001)
#: value (Boardman et al. 2022, section 2.1, "as in B21"; same references).
CHABRIER_TO_KROUPA = 1.06
