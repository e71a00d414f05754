#pragma once

#include <QString>

#include <optional>

class QLabel;
class QPalette;
class QWidget;

namespace wsi::HueMessage {

// Hues for a pane's status labels; NoHue keeps the palette's own text colour.
inline constexpr int NoHue = -1;
inline constexpr int RedHue = 0;
inline constexpr int AmberHue = 35;

// A label for such messages: plain text, wrapped, selectable, hidden until show() gives it text.
QLabel* newLabel(QWidget* parent, const char* objectName);
// Shows text in label (hidden when empty), coloured by hue from base (the pane's palette), and remembers the hue
// so that recolour() can follow a palette change.
void show(QLabel* label, const QString& text, int hue, const QPalette& base);
// The hue show() last gave label; nullopt when it never did.
std::optional<int> hueOf(const QLabel* label);
// After a palette change: every label below root that show() coloured is coloured again from root's palette.
void recolour(QWidget* root);

} // namespace wsi::HueMessage
