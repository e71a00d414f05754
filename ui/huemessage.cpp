#include "huemessage.h"

#include "timelinedelegate.h"

#include <QLabel>
#include <QVariant>

namespace wsi::HueMessage {

namespace {
constexpr const char* HueProperty = "wsiMessageHue";
} // namespace

QLabel* newLabel(QWidget* parent, const char* objectName)
{
    auto* label = new QLabel(parent);
    label->setObjectName(QLatin1String(objectName));
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setVisible(false);
    return label;
}

void show(QLabel* label, const QString& text, int hue, const QPalette& base)
{
    label->setProperty(HueProperty, hue);
    label->setText(text);
    label->setVisible(!text.isEmpty());
    QPalette palette = base;
    if (hue != NoHue)
        palette.setColor(QPalette::WindowText, TimelineDelegate::accentColor(palette, hue));
    label->setPalette(palette);
}

std::optional<int> hueOf(const QLabel* label)
{
    const QVariant hue = label->property(HueProperty);
    return hue.isValid() ? std::optional<int>(hue.toInt()) : std::nullopt;
}

void recolour(QWidget* root)
{
    for (QLabel* label : root->findChildren<QLabel*>()) {
        const QVariant hue = label->property(HueProperty);
        if (hue.isValid())
            show(label, label->text(), hue.toInt(), root->palette());
    }
}

} // namespace wsi::HueMessage
