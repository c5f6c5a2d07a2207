"""Marino et al. (2013) O3N2 and Pilyugin & Grebel (2016) R calibrations: values.

Expected numbers are worked by hand from the published equations:
M13 eq. 2: 12+log(O/H) = 8.533 - 0.214 O3N2, O3N2 = log10(([OIII]5008/Hb)/([NII]6585/Ha)).
PG16 eqs. 4 (log N2 >= -0.6) and 5 (below), with N2 = 4/3 [NII]6585/Hb,
R3 = 4/3 [OIII]5008/Hb, R2 = [OII]3727+3729/Hb:
  upper: 8.589 + 0.022 log(R3/R2) + 0.399 log N2
         + (-0.137 + 0.164 log(R3/R2) + 0.589 log N2) log R2
  lower: 7.932 + 0.944 log(R3/R2) + 0.695 log N2
         + (0.970 - 0.291 log(R3/R2) - 0.019 log N2) log R2
"""

import numpy as np
from numpy.testing import assert_allclose

from metgrad import physics


class TestM13:
    def test_o3n2_equal_one(self):
        # OIII/Hb = 1, NII/Ha = 0.1: O3N2 = log10(1/0.1) = 1 -> 8.533 - 0.214 = 8.319
        assert_allclose(physics.oh_o3n2_m13(1.0, 1.0, 0.1, 1.0), 8.319, rtol=0, atol=1e-12)

    def test_o3n2_zero_and_minus_one(self):
        # OIII = Hb = 2, NII = Ha = 3: O3N2 = log10((2/2)/(3/3)) = 0 -> 8.533
        # OIII/Hb = 0.5/5 = 0.1, NII/Ha = 4/4 = 1: O3N2 = -1 -> 8.533 + 0.214 = 8.747
        oh = physics.oh_o3n2_m13([2.0, 0.5], [2.0, 5.0], [3.0, 4.0], [3.0, 4.0])
        assert_allclose(oh, [8.533, 8.747], rtol=0, atol=1e-12)

    def test_o3n2_index(self):
        # (3/1.5)/(0.5/5) = 2/0.1 = 20 -> log10 20 = 1.30103
        assert_allclose(physics.o3n2_index(3.0, 1.5, 0.5, 5.0), 1.3010300, atol=1e-7)

    def test_only_ratios_matter(self):
        base = physics.oh_o3n2_m13(1.3, 2.1, 0.7, 6.0)
        assert_allclose(physics.oh_o3n2_m13(13.0, 21.0, 7.0, 60.0), base, rtol=1e-13)

    def test_no_range_mask(self):
        # O3N2 = 3 (outside the calibrated -1.1..1.7): raw value 8.533 - 0.642 = 7.891
        assert_allclose(physics.oh_o3n2_m13(10.0, 1.0, 0.01, 1.0), 7.891, atol=1e-12)


class TestPG16:
    def test_unit_ratios_upper(self):
        # OII = Hb = 3, OIII = NII = 2.25: R2 = 1, R3 = N2 = 4/3 * 0.75 = 1, all logs 0,
        # log N2 = 0 >= -0.6 -> upper branch constant 8.589
        assert_allclose(physics.oh_r_pg16(3.0, 3.0, 2.25, 2.25), 8.589, atol=1e-12)

    def test_upper_branch_by_hand(self):
        # Hb = 1, NII = 0.6, OIII = 0.9, OII = 2.0
        # N2 = 4/3 * 0.6 = 0.8    log N2 = -0.0969100
        # R3 = 4/3 * 0.9 = 1.2    log R3 = 0.0791812
        # R2 = 2.0                log R2 = 0.3010300
        # log(R3/R2) = log 0.6 = -0.2218487;   log N2 >= -0.6 -> eq. 4
        # 0.022 * -0.2218487 = -0.0048807;  0.399 * -0.0969100 = -0.0386671
        # bracket = -0.137 + 0.164 * -0.2218487 + 0.589 * -0.0969100
        #         = -0.137 - 0.0363832 - 0.0570800 = -0.2304632
        # bracket * log R2 = -0.2304632 * 0.3010300 = -0.0693763
        # sum = 8.589 - 0.0048807 - 0.0386671 - 0.0693763 = 8.4760759
        assert_allclose(physics.oh_r_pg16(2.0, 1.0, 0.9, 0.6), 8.4760759, atol=2e-7)

    def test_lower_branch_by_hand(self):
        # Hb = 1, NII = 0.06, OIII = 3.0, OII = 2.5
        # N2 = 4/3 * 0.06 = 0.08  log N2 = -1.0969100  (< -0.6 -> eq. 5)
        # R3 = 4/3 * 3 = 4        log R3 = 0.6020600
        # R2 = 2.5                log R2 = 0.3979400
        # log(R3/R2) = log 1.6 = 0.2041200
        # 0.944 * 0.2041200 = 0.1926893;  0.695 * -1.0969100 = -0.7623525
        # bracket = 0.970 - 0.291 * 0.2041200 - 0.019 * -1.0969100
        #         = 0.970 - 0.0593989 + 0.0208413 = 0.9314424
        # bracket * log R2 = 0.9314424 * 0.3979400 = 0.3706582
        # sum = 7.932 + 0.1926893 - 0.7623525 + 0.3706582 = 7.7329950
        assert_allclose(physics.oh_r_pg16(2.5, 1.0, 3.0, 0.06), 7.7329950, atol=2e-7)

    def test_log_ratios(self):
        log_n2, log_r2, log_r3 = physics.pg16_log_ratios(2.0, 1.0, 0.9, 0.6)
        assert_allclose([log_n2, log_r2, log_r3], [-0.0969100, 0.3010300, 0.0791812], atol=1e-7)

    def test_exactly_at_boundary_is_upper(self):
        # log N2 = -0.6 exactly, log R2 = 0.1, log R3 = 0.3 (log R3/R2 = 0.2)
        # upper: 8.589 + 0.022*0.2 + 0.399*-0.6 + (-0.137 + 0.164*0.2 + 0.589*-0.6)*0.1
        #      = 8.589 + 0.0044 - 0.2394 + (-0.137 + 0.0328 - 0.3534)*0.1
        #      = 8.354 - 0.04576 = 8.30824
        # lower would be 7.932 + 0.944*0.2 + 0.695*-0.6 + (0.970 - 0.0582 + 0.0114)*0.1
        #      = 7.932 + 0.1888 - 0.417 + 0.09232 = 7.79612
        assert_allclose(physics.pg16_r_calibration(-0.6, 0.1, 0.3), 8.30824, atol=1e-12)
        below = np.nextafter(-0.6, -1.0)
        assert_allclose(physics.pg16_r_calibration(below, 0.1, 0.3), 7.79612, atol=1e-9)

    def test_branch_from_fluxes_either_side_of_boundary(self):
        # NII/Hb = 3/4 * 10**(-0.6 +/- 1e-6) puts log N2 just above / below -0.6;
        # OII = Hb and OIII = 3/4 Hb make log R2 = log R3 = 0, so the values are the
        # branch constants plus the N2 terms: 8.589 + 0.399*-0.6 = 8.3496 (upper) and
        # 7.932 + 0.695*-0.6 = 7.515 (lower).
        nii = 0.75 * 10.0 ** np.array([-0.6 + 1e-6, -0.6 - 1e-6])
        oh = physics.oh_r_pg16(1.0, 1.0, 0.75, nii)
        assert_allclose(oh, [8.3496, 7.515], atol=1e-5)

    def test_only_ratios_matter(self):
        base = physics.oh_r_pg16(2.5, 1.0, 3.0, 0.06)
        assert_allclose(physics.oh_r_pg16(25.0, 10.0, 30.0, 0.6), base, rtol=1e-13)

    def test_broadcasts_branches_elementwise(self):
        oh = physics.oh_r_pg16([2.0, 2.5], [1.0, 1.0], [0.9, 3.0], [0.6, 0.06])
        assert_allclose(oh, [8.4760759, 7.7329950], atol=2e-7)

    def test_non_finite_log_ratio_is_nan(self):
        assert np.isnan(physics.pg16_r_calibration(np.nan, 0.0, 0.0))
        assert np.isnan(physics.pg16_r_calibration(0.0, np.inf, 0.0))
