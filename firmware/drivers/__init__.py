# Hardware drivers (keypad, SSD1306 display, ESC/POS printer): each receives its bus from the board.
