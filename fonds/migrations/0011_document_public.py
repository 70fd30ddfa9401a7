from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fonds", "0010_history_without_carrier_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="public",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Publique : tout le monde peut la lire sur la page de l'initiative. "
                    "Sinon : seuls vous, les instructeurs du quartier et le conseil de "
                    "quartier la lisent."
                ),
                verbose_name="pièce publique",
            ),
        ),
        migrations.AddField(
            model_name="historicalattachment",
            name="public",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Publique : tout le monde peut la lire sur la page de l'initiative. "
                    "Sinon : seuls vous, les instructeurs du quartier et le conseil de "
                    "quartier la lisent."
                ),
                verbose_name="pièce publique",
            ),
        ),
    ]
