# Display side of the terminal: 16-px text (font.py, font16.bin), GB18030 codes (gb.py), screens.
