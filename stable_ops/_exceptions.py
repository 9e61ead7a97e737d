r"""The float32 exception tables of the kernels (:mod:`stable_ops._kernels`), as CORE-MATH
keeps its hard cases: the inputs at which the kernel's float64 value rounds to the
wrong float32, each with its correctly rounded result.

Found over all :math:`2^{32}` float32 inputs by ``benchmarks/measure_float32_hard_cases.py``
(its ``--table`` output is :data:`SOFTPLUS` ... :data:`SIGMOID_D2`), on XLA CPU
(x86-64). The table is keyed by the float64 values XLA computes there: a backend that
evaluates the kernels' float64 arithmetic differently (contracting to FMA, another
``round``) can miss elsewhere; rerun the script there.

The kernels correct these inputs themselves: :func:`stable_ops._kernels.sigmoid_narrow`
sigma's 78 (by a push near 0, checked against :data:`SIGMOID` by
``benchmarks/verify_sigmoid_near_zero.py``), and a compare and select in the fused loop
the other 8 (:data:`stable_ops._kernels._INLINE_EXCEPTIONS`), so every float32 input of
every unary kernel is correctly rounded.
"""

#: (float32 bits of x, correctly rounded float32 result) per kernel. sigma's cases are
#: the plain float64 evaluation's (_kernels._sigmoid_plain_narrow), which sigmoid_narrow
#: corrects by itself; verify_sigmoid_near_zero.py checks it against them. They are
#: structural: x of few bits near 0 (|x| in [2^-23, 2^-17)), where 1/2 + x/4 is a float32
#: midpoint and sigma(x) = 1/2 + x/4 - x^3/48 + ... lies below (x > 0) or above it by
#: less than float64 resolves (x^3/48 < 2^-54 at 1/2): the float64 value is the midpoint.
SOFTPLUS = (
    (0x39ea41d0, 0.6933706402778625),
)
SIGMOID = (
    (0x34c00000, 0.5000000596046448),
    (0x35600000, 0.5000001788139343),
    (0x35b00000, 0.5000002980232239),
    (0x35f00000, 0.5000004172325134),
    (0x36180000, 0.500000536441803),
    (0x36380000, 0.5000006556510925),
    (0x36580000, 0.5000007748603821),
    (0x36780000, 0.5000008940696716),
    (0x368c0000, 0.5000010132789612),
    (0x369c0000, 0.5000011324882507),
    (0x36ac0000, 0.5000012516975403),
    (0x36bc0000, 0.5000013709068298),
    (0x36cc0000, 0.5000014901161194),
    (0x36dc0000, 0.5000016093254089),
    (0x36ec0000, 0.5000017285346985),
    (0x36fc0000, 0.500001847743988),
    (0x37060000, 0.5000019669532776),
    (0x370e0000, 0.5000020861625671),
    (0x37160000, 0.5000022053718567),
    (0x371e0000, 0.5000023245811462),
    (0x372e0000, 0.5000025629997253),
    (0x37360000, 0.5000026822090149),
    (0x373e0000, 0.5000028014183044),
    (0x37460000, 0.500002920627594),
    (0x374e0000, 0.5000030398368835),
    (0x37560000, 0.5000031590461731),
    (0x375e0000, 0.5000032782554626),
    (0x37660000, 0.5000033974647522),
    (0xb4400000, 0.4999999701976776),
    (0xb4e00000, 0.49999991059303284),
    (0xb5300000, 0.49999985098838806),
    (0xb5700000, 0.4999997913837433),
    (0xb5980000, 0.4999997317790985),
    (0xb5b80000, 0.49999967217445374),
    (0xb5d80000, 0.49999961256980896),
    (0xb5f80000, 0.4999995529651642),
    (0xb60c0000, 0.4999994933605194),
    (0xb61c0000, 0.49999943375587463),
    (0xb62c0000, 0.49999937415122986),
    (0xb63c0000, 0.4999993145465851),
    (0xb64c0000, 0.4999992549419403),
    (0xb65c0000, 0.49999919533729553),
    (0xb66c0000, 0.49999913573265076),
    (0xb67c0000, 0.499999076128006),
    (0xb6860000, 0.4999990165233612),
    (0xb68e0000, 0.49999895691871643),
    (0xb6960000, 0.49999889731407166),
    (0xb69e0000, 0.4999988377094269),
    (0xb6a60000, 0.4999987781047821),
    (0xb6ae0000, 0.49999871850013733),
    (0xb6b60000, 0.49999865889549255),
    (0xb6be0000, 0.4999985992908478),
    (0xb6c60000, 0.499998539686203),
    (0xb6ce0000, 0.4999984800815582),
    (0xb6d60000, 0.49999842047691345),
    (0xb6de0000, 0.4999983608722687),
    (0xb6e60000, 0.4999983012676239),
    (0xb6ea0000, 0.4999982714653015),
    (0xb6ee0000, 0.4999982416629791),
    (0xb6f20000, 0.49999821186065674),
    (0xb6f60000, 0.49999818205833435),
    (0xb6fa0000, 0.49999815225601196),
    (0xb6fe0000, 0.4999981224536896),
    (0xb7030000, 0.4999980628490448),
    (0xb7070000, 0.4999980032444),
    (0xb70b0000, 0.49999794363975525),
    (0xb70f0000, 0.4999978840351105),
    (0xb7130000, 0.4999978244304657),
    (0xb7170000, 0.4999977648258209),
    (0xb71b0000, 0.49999770522117615),
    (0xb71f0000, 0.49999764561653137),
    (0xb7230000, 0.4999975860118866),
    (0xb7270000, 0.4999975264072418),
    (0xb72b0000, 0.49999746680259705),
    (0xb72f0000, 0.49999740719795227),
    (0xb7330000, 0.4999973475933075),
    (0xb7370000, 0.4999972879886627),
    (0xb7730000, 0.4999963939189911),
)
SIGMOID_D1 = ()
SIGMOID_D2 = (
    (0x3b6301dc, -0.0004329802468419075),
    (0x3ddad9c8, -0.013306866399943829),
    (0x3e5ab09b, -0.02629358321428299),
    (0xbb6301dc, 0.0004329802468419075),
    (0xbddad9c8, 0.013306866399943829),
    (0xbe5ab09b, 0.02629358321428299),
)

#: log_sigmoid(x) = -softplus(-x), both negations exact: softplus' cases, mapped.
LOG_SIGMOID = tuple((bits ^ 0x8000_0000, -value) for bits, value in SOFTPLUS)

FLOAT32 = {"softplus": SOFTPLUS, "sigmoid": SIGMOID, "sigmoid_d1": SIGMOID_D1,
           "sigmoid_d2": SIGMOID_D2, "log_sigmoid": LOG_SIGMOID}
