"""Constants more than one rule family of the reference model needs (the others live
with their family). Checks no rule itself.
"""

# docs/vmm.md, "Memory": a VM's Client_Reg_Struc lies at its handle + 0x80.
CLIENT_REG_OFFSET = 0x80
SLICE_MS_MIN, SLICE_MS_MAX = 1, 60000   # Set_Time_Slice_Granularity clamps to this
