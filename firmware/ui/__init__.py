# Display side of the terminal: 16-px text (font.py), GB18030 codes for the printer
# (gb.py), the tables of both and of the strings (assets.py), screens.
